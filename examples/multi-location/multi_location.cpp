// multi-location: the single-location model with K signal tokens instead of one.
//
// A sample is L tokens in R^D. A uniformly random subset S of K of the L
// positions carries signal, each signal token l in S with its own latent
// theta_l in R^F, drawn independently from a diagonal Gaussian prior
// N(mean, diag(std^2)):
//
//   x_l = z_l + [l in S] sum_f theta_{l,f} k*_f / sqrt(D),   z_l ~ N(0, I_D)
//   y   = sum_{l in S} x_l . v* / sqrt(D) + delta * xi,       xi ~ N(0, 1)
//
// The teacher directions are coordinate axes, as in attnlab's built-in
// single-location model: k*_f = sqrt(D) e_f and v* = sqrt(D) e_F (orthogonal,
// |k*_f|^2 = |v*|^2 = D). With isotropic noise any orthonormal frame gives the
// same statistics, and axes make the fields plain coordinates:
//   chi_{f,l} = x_l . k*_f / sqrt(D) = x_l[f] ~ N(theta_{l,f} [l in S], 1),
//   c_l       = x_l . v* / sqrt(D)   = x_l[F] ~ N(0, 1), independent of everything else.
// With K = 1 this is the single-location model, sample for sample: the random
// numbers are drawn in the same order.
//
// Bayes prediction. Token l's likelihood ratio "signal at l" against "noise at
// l" integrates over the Gaussian prior in closed form, per feature:
//   w_l = E_theta exp(theta . chi_l - |theta|^2 / 2)
//       = prod_f (1 + s_f^2)^(-1/2) exp((s_f^2 chi_{f,l}^2 + 2 m_f chi_{f,l} - m_f^2) / (2 (1 + s_f^2)))
// (m = mean, s = std). Tokens are independent given S and S is uniform, so
//   P(S | X) ∝ prod_{l in S} w_l        (a conditional-Bernoulli law on |S| = K).
// Every S has exactly K members, so a constant factor in w cancels; the
// normalizing constant is kept anyway so that w is the true ratio. The
// probability that token l is a signal token is
//   p_l = w_l e_{K-1}(w without l) / e_K(w),
//   1 - p_l = e_K(w without l) / e_K(w),
// with e_k the elementary symmetric polynomials. And E[y | X] = sum_l p_l c_l.
//
// The e_k are computed in the log domain by prefix and suffix recursions
// (e_k of the first j tokens, and of the last L - j), O(K L) per sample:
// the w_l can span hundreds of orders of magnitude when the signal is strong,
// where a plain product would overflow or underflow.
//
// Bayes risk. Given the fields chi (hence p) the c_l are independent N(0, 1), so
//   y - E[y | X] = delta xi + sum_l ([l in S] - p_l) c_l,
//   E[(y - E[y | X])^2 | chi, S] = delta^2 + sum_l ([l in S] - p_l)^2,
// and averaging over S given chi, E[([l in S] - p_l)^2 | chi] = p_l (1 - p_l):
//   E[(y - E[y | X])^2 | chi] = delta^2 + sum_l p_l (1 - p_l).
// bayes_risk_samples draws (S, theta, chi) from the model and returns that
// conditional error: an unbiased sample of the Bayes risk that needs no D.
// (For K = 1 it is delta^2 + 1 - sum_l p_l^2, the single-location formula.)
// Because it is the error of the exact posterior only, attnlab's checker,
// which compares it with the squared error of bayes_prediction on sampled
// data, also tests that the posterior is right.
#include <attnlab/sdk.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

namespace {

using attnlab::ParamError;
using attnlab::Params;

constexpr long long kMaxCount = 2147483647;  // D, L and F fit the ABI's uint32
constexpr double kMaxMagnitude = 1.0e6;      // keeps theta^2 and delta^2 far from overflow
constexpr long long kMaxWork = 100000000;    // (L + 1) (K + 1): size of the posterior's tables
constexpr double kNegativeInfinity = -std::numeric_limits<double>::infinity();

std::string show(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}

// "key[index]", for messages.
std::string entry(const char* key, std::size_t index) {
  std::string name(key);
  name += '[';
  name += std::to_string(index);
  name += ']';
  return name;
}

// log(e^a + e^b), exact for -inf arguments (e_k of too few tokens is 0).
double log_add(double a, double b) {
  if (a < b) std::swap(a, b);
  if (b == kNegativeInfinity) return a;
  return a + std::log1p(std::exp(b - a));
}

// 1 / (1 + e^-x) without overflow, also for x = +-inf.
double sigmoid(double x) {
  if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

class MultiLocation {
 public:
  explicit MultiLocation(const Params& params) {
    // Accepted for configs written for single-location; only one prior here.
    if (const std::string prior = params.text("prior", "gaussian"); prior != "gaussian") {
      throw ParamError("prior = '" + prior + "': multi-location supports only prior = gaussian (mean, std)");
    }
    std::vector<double> mean;
    std::vector<double> stddev;
    if (params.has("mean")) mean = params.numbers("mean");
    if (params.has("std")) stddev = params.numbers("std");

    // F: given, or the length of mean or std, or 1.
    std::string features_source;
    long long features = 1;
    if (params.has("F")) {
      features = params.integer("F");
    } else if (params.has("mean")) {
      features = static_cast<long long>(mean.size());
      features_source = " (from the length of mean)";
    } else if (params.has("std")) {
      features = static_cast<long long>(stddev.size());
      features_source = " (from the length of std)";
    }
    if (features < 1 || features > kMaxCount) {
      throw ParamError("F = " + std::to_string(features) + features_source + " must be between 1 and " +
                       std::to_string(kMaxCount) + " (number of feature directions)");
    }
    const long long length = params.integer("L", 10);
    if (length < 1 || length > kMaxCount) {
      throw ParamError("L = " + std::to_string(length) + " must be between 1 and " + std::to_string(kMaxCount) +
                       " (tokens per sample)");
    }
    const long long signals = params.integer("K", 2);
    if (signals < 1 || signals > length) {
      throw ParamError("K = " + std::to_string(signals) + " must be between 1 and L = " + std::to_string(length) +
                       " (signal tokens per sample)");
    }
    if ((length + 1) * (signals + 1) > kMaxWork) {
      throw ParamError("(L + 1) (K + 1) = " + std::to_string((length + 1) * (signals + 1)) + " must be at most " +
                       std::to_string(kMaxWork) + " (the Bayes posterior costs O(K L) time and memory per sample)");
    }
    const long long dimension = params.integer("D", 100);
    if (dimension < features + 1 || dimension > kMaxCount) {
      throw ParamError("D = " + std::to_string(dimension) + " must be between F + 1 = " + std::to_string(features + 1) +
                       " and " + std::to_string(kMaxCount) +
                       " (the F feature keys and the value direction must be orthogonal)");
    }

    delta_ = params.number("delta", 0.1);
    if (delta_ < 0 || delta_ > kMaxMagnitude) {
      throw ParamError("delta = " + show(delta_) + " must be in [0, " + show(kMaxMagnitude) +
                       "] (label noise standard deviation)");
    }

    if (!params.has("mean")) mean.assign(static_cast<std::size_t>(features), 0.0);
    if (!params.has("std")) stddev.assign(static_cast<std::size_t>(features), 1.0);
    check_length("mean", mean.size(), features, features_source);
    check_length("std", stddev.size(), features, features_source);

    dims_ = {static_cast<std::uint32_t>(dimension), static_cast<std::uint32_t>(length),
             static_cast<std::uint32_t>(features)};
    signals_ = static_cast<Eigen::Index>(signals);

    // log w(chi) = sum_f (quadratic_f chi_f + linear_f) chi_f + constant_.
    const auto f = static_cast<Eigen::Index>(features);
    mean_.resize(f);
    std_.resize(f);
    quadratic_.resize(f);
    linear_.resize(f);
    constant_ = 0.0;
    for (Eigen::Index i = 0; i < f; ++i) {
      const auto k = static_cast<std::size_t>(i);
      if (std::fabs(mean[k]) > kMaxMagnitude) {
        throw ParamError(entry("mean", k) + " = " + show(mean[k]) + " must be at most " + show(kMaxMagnitude) +
                         " in magnitude");
      }
      if (stddev[k] < 0) {
        throw ParamError(entry("std", k) + " = " + show(stddev[k]) + " must be at least 0 (a standard deviation)");
      }
      if (stddev[k] > kMaxMagnitude) {
        throw ParamError(entry("std", k) + " = " + show(stddev[k]) + " must be at most " + show(kMaxMagnitude));
      }
      const double variance = stddev[k] * stddev[k];
      mean_(i) = mean[k];
      std_(i) = stddev[k];
      quadratic_(i) = variance / (2.0 * (1.0 + variance));
      linear_(i) = mean[k] / (1.0 + variance);
      constant_ += -0.5 * std::log1p(variance) - mean[k] * mean[k] / (2.0 * (1.0 + variance));
    }

    // Scratch, sized once so that sampling and prediction do not allocate.
    const auto l = static_cast<Eigen::Index>(length);
    order_.resize(static_cast<std::size_t>(length));
    theta_.resize(f);
    thetas_.resize(signals_, f);
    fields_.resize(l, f);
    log_w_.resize(l);
    inclusion_.resize(l);
    exclusion_.resize(l);
    prefix_.resize(l + 1, signals_ + 1);
    suffix_.resize(l + 1, signals_ + 1);
  }

  attnlab_data_dims dims() const { return dims_; }

  void teacher(attnlab::MatrixMap keys, attnlab::VectorMap value) const {
    const double scale = std::sqrt(static_cast<double>(dims_.dimension));
    keys.setZero();
    for (Eigen::Index f = 0; f < keys.rows(); ++f) keys(f, f) = scale;  // k*_f = sqrt(D) e_f
    value.setZero();
    value(dims_.features) = scale;  // v* = sqrt(D) e_F
  }

  // tokens: (B L) x D, sample b's token l in row b L + l; labels: B.
  void sample(attnlab::RandomStream& rng, attnlab::MatrixMap tokens, attnlab::VectorMap labels) {
    const Eigen::Index length = dims_.length;
    const Eigen::Index f = dims_.features;
    // All the noise first (z, then xi), then S and the thetas sample by
    // sample; xi is drawn even when delta = 0 so that delta changes labels only.
    rng.fill_normal(tokens.data(), static_cast<std::size_t>(tokens.size()));
    rng.fill_normal(labels.data(), static_cast<std::size_t>(labels.size()));
    for (Eigen::Index b = 0; b < labels.size(); ++b) {
      draw_signal_tokens(rng);
      double signal = 0.0;
      for (Eigen::Index i = 0; i < signals_; ++i) {
        const Eigen::Index row = b * length + order_[static_cast<std::size_t>(i)];
        draw_theta(rng);
        tokens.row(row).head(f) += theta_.transpose();
        signal += tokens(row, f);  // x_l . v* / sqrt(D)
      }
      labels(b) = signal + delta_ * labels(b);
    }
  }

  void bayes_prediction(attnlab::ConstMatrixMap tokens, attnlab::VectorMap prediction) {
    const Eigen::Index length = dims_.length;
    const Eigen::Index f = dims_.features;
    for (Eigen::Index b = 0; b < prediction.size(); ++b) {
      const auto sample = tokens.middleRows(b * length, length);
      inclusion_probabilities(sample.leftCols(f));
      prediction(b) = inclusion_.dot(sample.col(f));  // sum_l p_l c_l
    }
  }

  void bayes_risk_samples(attnlab::RandomStream& rng, attnlab::VectorMap out) {
    const double noise = delta_ * delta_;
    for (Eigen::Index i = 0; i < out.size(); ++i) {
      // (S, theta) then the fields, in the order single-location draws them.
      draw_signal_tokens(rng);
      for (Eigen::Index k = 0; k < signals_; ++k) {
        draw_theta(rng);
        thetas_.row(k) = theta_.transpose();
      }
      rng.fill_normal(fields_.data(), static_cast<std::size_t>(fields_.size()));
      for (Eigen::Index k = 0; k < signals_; ++k) fields_.row(order_[static_cast<std::size_t>(k)]) += thetas_.row(k);
      inclusion_probabilities(fields_);
      out(i) = noise + inclusion_.dot(exclusion_);  // delta^2 + sum_l p_l (1 - p_l)
    }
  }

 private:
  static void check_length(const std::string& key, std::size_t size, long long features,
                           const std::string& features_source) {
    if (static_cast<long long>(size) != features) {
      throw ParamError(key + " has " + std::to_string(size) + " entries but F = " + std::to_string(features) +
                       features_source + "; give one per feature");
    }
  }

  // order_[0..K) = S: a uniformly random K-subset of {0..L-1}, by a partial
  // Fisher-Yates shuffle of the identity (reset each time, so that the result
  // depends only on the random stream).
  void draw_signal_tokens(attnlab::RandomStream& rng) {
    std::iota(order_.begin(), order_.end(), Eigen::Index{0});
    const auto length = static_cast<std::uint64_t>(dims_.length);
    for (Eigen::Index i = 0; i < signals_; ++i) {
      const auto pick = static_cast<std::size_t>(i) + rng.uniform_index(length - static_cast<std::uint64_t>(i));
      std::swap(order_[static_cast<std::size_t>(i)], order_[pick]);
    }
  }

  void draw_theta(attnlab::RandomStream& rng) {
    rng.fill_normal(theta_.data(), static_cast<std::size_t>(theta_.size()));
    theta_ = mean_ + std_.cwiseProduct(theta_);
  }

  // inclusion_ = p and exclusion_ = 1 - p from the fields chi (L x F).
  template <class Fields>
  void inclusion_probabilities(const Fields& chi) {
    const Eigen::Index length = chi.rows();
    const Eigen::Index k_max = signals_;
    for (Eigen::Index l = 0; l < length; ++l) {
      double log_w = constant_;
      for (Eigen::Index f = 0; f < chi.cols(); ++f) {
        const double c = chi(l, f);
        log_w += (quadratic_(f) * c + linear_(f)) * c;
      }
      log_w_(l) = log_w;
    }

    // prefix_(j, k) = log e_k(w_0 .. w_{j-1}), suffix_(j, k) = log e_k(w_j .. w_{L-1}),
    // from e_k(with w) = e_k(without w) + w e_{k-1}(without w), e_0 = 1.
    prefix_.row(0).setConstant(kNegativeInfinity);
    prefix_(0, 0) = 0.0;
    for (Eigen::Index j = 1; j <= length; ++j) {
      prefix_(j, 0) = 0.0;
      for (Eigen::Index k = 1; k <= k_max; ++k) {
        prefix_(j, k) = log_add(prefix_(j - 1, k), log_w_(j - 1) + prefix_(j - 1, k - 1));
      }
    }
    suffix_.row(length).setConstant(kNegativeInfinity);
    suffix_(length, 0) = 0.0;
    for (Eigen::Index j = length - 1; j >= 0; --j) {
      suffix_(j, 0) = 0.0;
      for (Eigen::Index k = 1; k <= k_max; ++k) {
        suffix_(j, k) = log_add(suffix_(j + 1, k), log_w_(j) + suffix_(j + 1, k - 1));
      }
    }

    // Without token l: e_k(w_{-l}) = sum_a e_a(before l) e_{k-a}(after l).
    // p_l ∝ w_l e_{K-1}(w_{-l}) and 1 - p_l ∝ e_K(w_{-l}), with the same
    // constant e_K(w) (the two sum to it), so p_l = sigmoid(log ratio).
    for (Eigen::Index l = 0; l < length; ++l) {
      double log_in = kNegativeInfinity;
      double log_out = kNegativeInfinity;
      for (Eigen::Index a = 0; a <= k_max; ++a) {
        if (a < k_max) log_in = log_add(log_in, prefix_(l, a) + suffix_(l + 1, k_max - 1 - a));
        log_out = log_add(log_out, prefix_(l, a) + suffix_(l + 1, k_max - a));
      }
      log_in += log_w_(l);
      inclusion_(l) = sigmoid(log_in - log_out);
      exclusion_(l) = sigmoid(log_out - log_in);
    }
  }

  attnlab_data_dims dims_{};
  Eigen::Index signals_ = 1;  // K
  double delta_ = 0.1;

  // The prior and the coefficients of log w.
  Eigen::VectorXd mean_, std_, quadratic_, linear_;
  double constant_ = 0.0;

  // Scratch.
  std::vector<Eigen::Index> order_;  // [0, K): the signal tokens S
  Eigen::VectorXd theta_;
  attnlab::RowMatrix thetas_;  // K x F
  attnlab::RowMatrix fields_;  // L x F
  Eigen::VectorXd log_w_, inclusion_, exclusion_;
  attnlab::RowMatrix prefix_, suffix_;  // (L + 1) x (K + 1)
};

}  // namespace

ATTNLAB_DATA_MODEL_PLUGIN(MultiLocation,
                          {.id = "multi-location",
                           .name = "Multi-location model",
                           .version = "1.0.0",
                           .description = "K of the L tokens carry signal, each with its own Gaussian latent; "
                                          "exact Bayes prediction and risk"})
