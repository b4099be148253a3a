// single-location: the multi-index single-location data model.
//
// A sample is L tokens in R^D. One location eps ~ Uniform{0..L-1} carries a
// latent theta in R^F drawn from the prior:
//   x_l = z_l + [l == eps] sum_f theta_f k*_f / sqrt(D),   z_l ~ N(0, I_D)
//   y   = x_eps . v* / sqrt(D) + delta * xi,               xi ~ N(0, 1)
// so the feature fields chi_{f,l} = x_l . k*_f / sqrt(D) are N(theta_f [l == eps], 1)
// and the value coordinates u_l = x_l . v* / sqrt(D) are N(0, 1), independent of
// the fields.
//
// Teacher directions are coordinate axes: k*_f = sqrt(D) e_f and v* = sqrt(D) e_F.
// The token law (isotropic noise plus a signal in the teacher span) and the
// learner's isotropic initialisation are both invariant under rotations of R^D,
// so any orthonormal teacher frame gives the same training dynamics in law.
// Axes therefore lose no generality; they make sampling cheap (theta is added
// to F coordinates) and the fields chi and values u plain reads of coordinates.
//
// Priors: a diagonal Gaussian N(mean, diag(std^2)) or a discrete prior on
// support points theta_j with weights pi_j.
//
// Bayes: the posterior over the location is p_l ∝ r(chi_l), the likelihood
// ratio of "signal at l" against "no signal at l",
//   r(chi) = E_theta exp(theta . chi - |theta|^2 / 2),
// and the Bayes prediction is E[y | X] = sum_l p_l u_l.
//
// High-dimensional limit: the tokens are N(0, I_D) plus a shift in the
// teacher span and the label is a teacher field plus independent noise, so
// the teacher fields (chi_l, u_l) carry the whole law (limit_sample).
#include <attnlab/sdk.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using attnlab::ParamError;
using attnlab::Params;

constexpr long long kMaxCount = 2147483647;  // D, L and F fit the ABI's uint32 and Eigen's index
constexpr double kMaxMagnitude = 1.0e6;      // keeps |theta|^2 and delta^2 far from overflow

std::string show(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}

long long read_count(const Params& params, const std::string& key, long long fallback, long long minimum,
                     const std::string& minimum_text, const std::string& why) {
  const long long value = params.integer(key, fallback);
  if (value < minimum) {
    throw ParamError(key + " = " + std::to_string(value) + " must be at least " + minimum_text + " (" + why + ")");
  }
  if (value > kMaxCount) {
    throw ParamError(key + " = " + std::to_string(value) + " must be at most " + std::to_string(kMaxCount));
  }
  return value;
}

void check_magnitude(const std::string& name, double value) {
  if (std::fabs(value) > kMaxMagnitude) {
    throw ParamError(name + " = " + show(value) + " must be at most " + show(kMaxMagnitude) + " in magnitude");
  }
}

void check_length(const std::string& what, std::size_t size, long long features, const std::string& features_source) {
  if (static_cast<long long>(size) != features) {
    throw ParamError(what + " has " + std::to_string(size) + " entries but F = " + std::to_string(features) +
                     features_source + "; give one per feature");
  }
}

// Numerically stable softmax of `logits` into `out` (same size).
void softmax(const Eigen::VectorXd& logits, Eigen::VectorXd& out) {
  const double shift = logits.maxCoeff();
  out = (logits.array() - shift).exp().matrix();
  out /= out.sum();
}

class SingleLocation {
 public:
  explicit SingleLocation(const Params& params) {
    const std::string prior = params.text("prior", "gaussian");
    if (prior != "gaussian" && prior != "discrete") {
      throw ParamError("prior = '" + prior + "' is not one of: gaussian, discrete");
    }
    discrete_ = prior == "discrete";
    reject_foreign_keys(params, prior);

    // Lists first: without an explicit F their length sets it.
    std::vector<double> mean;
    std::vector<double> stddev;
    std::vector<std::vector<double>> support;
    if (params.has("mean")) mean = params.numbers("mean");
    if (params.has("std")) stddev = params.numbers("std");
    if (discrete_) {
      if (!params.has("support")) {
        throw ParamError("prior = discrete needs support = [[..], ..] (one row of F numbers per support point)");
      }
      support = params.rows("support");
      if (support.empty()) throw ParamError("support = [] must have at least one row");
    }

    std::string features_source;
    long long features = 1;
    if (params.has("F")) {
      features = read_count(params, "F", 1, 1, "1", "number of feature directions");
    } else if (params.has("mean")) {
      features = static_cast<long long>(mean.size());
      features_source = " (from the length of mean)";
    } else if (params.has("std")) {
      features = static_cast<long long>(stddev.size());
      features_source = " (from the length of std)";
    } else if (discrete_) {
      features = static_cast<long long>(support.front().size());
      features_source = " (from the length of support row 0)";
    }
    if (features < 1) throw ParamError("F = " + std::to_string(features) + features_source + " must be at least 1");

    const long long length = read_count(params, "L", 10, 1, "1", "tokens per sample");
    const long long dimension = read_count(params, "D", 100, features + 1, "F + 1 = " + std::to_string(features + 1),
                                           "feature keys and value direction must be orthogonal");
    delta_ = params.number("delta", 0.1);
    if (delta_ < 0) {
      throw ParamError("delta = " + show(delta_) + " must be at least 0 (label noise standard deviation)");
    }
    check_magnitude("delta", delta_);

    dims_ = {static_cast<std::uint32_t>(dimension), static_cast<std::uint32_t>(length),
             static_cast<std::uint32_t>(features)};
    const auto f = static_cast<Eigen::Index>(features);
    if (discrete_) {
      configure_discrete(params, support, features, features_source);
    } else {
      configure_gaussian(mean, stddev, features, features_source);
    }

    symmetric_ = symmetric_features();
    theta_.resize(f);
    log_ratio_.resize(length);
    posterior_.resize(length);
    fields_.resize(length, f);
  }

  attnlab_data_dims dims() const { return dims_; }

  void teacher(attnlab::MatrixMap keys, attnlab::VectorMap value) const {
    const double scale = std::sqrt(static_cast<double>(dims_.dimension));
    keys.setZero();
    for (Eigen::Index f = 0; f < keys.rows(); ++f) keys(f, f) = scale;
    value.setZero();
    value(dims_.features) = scale;
  }

  void sample(attnlab::RandomStream& rng, attnlab::MatrixMap tokens, attnlab::VectorMap labels) {
    const Eigen::Index length = dims_.length;
    const Eigen::Index f = dims_.features;
    // Noise for everything first, then one location and theta per sample; the
    // label noise is drawn even when delta = 0 so that delta changes labels only.
    rng.fill_normal(tokens.data(), static_cast<std::size_t>(tokens.size()));
    rng.fill_normal(labels.data(), static_cast<std::size_t>(labels.size()));
    for (Eigen::Index b = 0; b < labels.size(); ++b) {
      const auto eps = static_cast<Eigen::Index>(rng.uniform_index(dims_.length));
      draw_theta(rng);
      const Eigen::Index row = b * length + eps;
      tokens.row(row).head(f) += theta_.transpose();
      labels(b) = tokens(row, f) + delta_ * labels(b);
    }
  }

  // The teacher fields of token l are its coordinates 0..F (k*_f = sqrt(D) e_f,
  // v* = sqrt(D) e_F), so they are exactly, at any D,
  //   chi_{f,l} = theta_f [l == eps] + N(0, 1),   u_l = N(0, 1),
  // all independent given (eps, theta), and y = u_eps + delta xi: the label
  // mean is u_eps and the noise variance delta^2. The location is stratified,
  // eps_i = (offset + i) mod L with one uniform offset per call: each sample
  // still has eps uniform (so any count is unbiased), and every location is
  // equally represented, which removes the location's share of the variance.
  // Samples come in antithetic pairs: sample 2k + 1 is sample 2k with the
  // fields of every symmetric feature (one whose prior is unchanged by
  // flipping its sign) negated in all tokens. The flip preserves the law, so
  // each member is a fair sample; and where no student vector overlaps such
  // a feature, the pair's contributions to that overlap's drift cancel
  // exactly, as they do in the exact limit (the host gives both members the
  // same student normals). Pairs share a location, (offset + k) mod L.
  void limit_sample(attnlab::RandomStream& rng, attnlab::MatrixMap teacher_fields, attnlab::VectorMap label_means,
                    attnlab::VectorMap label_noise_variances) {
    const Eigen::Index length = dims_.length;
    const Eigen::Index f = dims_.features;
    const std::uint64_t offset = rng.uniform_index(dims_.length);
    rng.fill_normal(teacher_fields.data(), static_cast<std::size_t>(teacher_fields.size()));
    for (Eigen::Index i = 0; i < label_means.size(); ++i) {
      const std::uint64_t pair = static_cast<std::uint64_t>(i) / 2;
      const auto eps = static_cast<Eigen::Index>((offset + pair) % dims_.length);
      const Eigen::Index row = i * length + eps;
      if (i % 2 == 1) {
        auto second = teacher_fields.middleRows(i * length, length);
        second = teacher_fields.middleRows((i - 1) * length, length);
        for (Eigen::Index feature = 0; feature < f; ++feature) {
          if (symmetric_[static_cast<std::size_t>(feature)]) second.col(feature) *= -1.0;
        }
      } else {
        draw_theta(rng);
        teacher_fields.row(row).head(f) += theta_.transpose();
      }
      label_means(i) = teacher_fields(row, f);
    }
    label_noise_variances.setConstant(delta_ * delta_);
  }

  void bayes_prediction(attnlab::ConstMatrixMap tokens, attnlab::VectorMap prediction) {
    const Eigen::Index length = dims_.length;
    const Eigen::Index f = dims_.features;
    for (Eigen::Index b = 0; b < prediction.size(); ++b) {
      const auto sample = tokens.middleRows(b * length, length);
      location_posterior(sample.leftCols(f));
      prediction(b) = posterior_.dot(sample.col(f));
    }
  }

  // Given the fields chi (hence p) and eps, the Bayes error is
  //   y - sum_l p_l u_l = delta xi + sum_l ([l == eps] - p_l) u_l
  // with xi and the u_l independent N(0, 1) and independent of (chi, eps), so
  //   E[(y - yhat)^2 | chi, eps] = delta^2 + sum_l ([l == eps] - p_l)^2
  //                             = delta^2 + 1 - 2 p_eps + sum_l p_l^2.
  // Its mean over (chi, eps) is the Bayes risk (E[p_eps | chi] = sum_l p_l^2
  // gives the familiar delta^2 + 1 - E sum_l p_l^2), and having integrated
  // out xi and u it has less variance than a squared error on full samples;
  // it needs no D. Keeping eps (rather than conditioning on chi alone) makes
  // each sample the error of the predictor as implemented, whatever p is.
  // The sum of squares form avoids cancellation when p_eps ≈ 1.
  void bayes_risk_samples(attnlab::RandomStream& rng, attnlab::VectorMap out) {
    const double noise = delta_ * delta_;
    for (Eigen::Index i = 0; i < out.size(); ++i) {
      const auto eps = static_cast<Eigen::Index>(rng.uniform_index(dims_.length));
      draw_theta(rng);
      rng.fill_normal(fields_.data(), static_cast<std::size_t>(fields_.size()));
      fields_.row(eps) += theta_.transpose();
      location_posterior(fields_);
      posterior_(eps) -= 1.0;
      out(i) = noise + posterior_.squaredNorm();
    }
  }

 private:
  static void reject_foreign_keys(const Params& params, const std::string& prior) {
    const bool discrete = prior == "discrete";
    const std::array<const char*, 2> foreign =
        discrete ? std::array<const char*, 2>{"mean", "std"} : std::array<const char*, 2>{"support", "weights"};
    for (const char* key : foreign) {
      if (params.has(key)) {
        throw ParamError(std::string(key) + " is only used with prior = " + (discrete ? "gaussian" : "discrete") +
                         " (prior is " + prior + ")");
      }
    }
  }

  // log r(chi) = sum_f (sigma_f^2 chi_f^2 + 2 mu_f chi_f - mu_f^2) / (2 (1 + sigma_f^2))
  // up to a constant; keep only the terms that depend on chi.
  void configure_gaussian(std::vector<double> mean, std::vector<double> stddev, long long features,
                          const std::string& features_source) {
    if (mean.empty()) mean.assign(static_cast<std::size_t>(features), 0.0);
    if (stddev.empty()) stddev.assign(static_cast<std::size_t>(features), 1.0);
    check_length("mean", mean.size(), features, features_source);
    check_length("std", stddev.size(), features, features_source);
    const auto f = static_cast<Eigen::Index>(features);
    mean_.resize(f);
    std_.resize(f);
    quadratic_.resize(f);
    linear_.resize(f);
    for (Eigen::Index i = 0; i < f; ++i) {
      const auto k = static_cast<std::size_t>(i);
      check_magnitude("mean[" + std::to_string(k) + "]", mean[k]);
      check_magnitude("std[" + std::to_string(k) + "]", stddev[k]);
      if (stddev[k] < 0) {
        throw ParamError("std[" + std::to_string(k) + "] = " + show(stddev[k]) + " must be at least 0");
      }
      const double variance = stddev[k] * stddev[k];
      mean_(i) = mean[k];
      std_(i) = stddev[k];
      quadratic_(i) = variance / (2.0 * (1.0 + variance));
      linear_(i) = mean[k] / (1.0 + variance);
    }
  }

  void configure_discrete(const Params& params, const std::vector<std::vector<double>>& support, long long features,
                          const std::string& features_source) {
    const std::size_t points = support.size();
    std::vector<double> weights(points, 1.0);
    if (params.has("weights")) {
      weights = params.numbers("weights");
      if (weights.size() != points) {
        throw ParamError("weights has " + std::to_string(weights.size()) + " entries but support has " +
                         std::to_string(points) + " rows; give one weight per support point");
      }
    }
    for (std::size_t j = 0; j < points; ++j) {
      check_length("support row " + std::to_string(j), support[j].size(), features, features_source);
      for (std::size_t i = 0; i < support[j].size(); ++i) {
        check_magnitude("support[" + std::to_string(j) + "][" + std::to_string(i) + "]", support[j][i]);
      }
    }
    double largest = 0.0;
    for (std::size_t j = 0; j < points; ++j) {
      if (weights[j] < 0) {
        throw ParamError("weights[" + std::to_string(j) + "] = " + show(weights[j]) + " must be at least 0");
      }
      largest = std::max(largest, weights[j]);
    }
    if (!(largest > 0)) throw ParamError("weights must have a positive sum (got 0)");
    // Scaled by the largest weight first, the sum lies in [1, J]: weights near
    // the largest double cannot overflow it.
    double total = 0.0;
    for (double& weight : weights) {
      weight /= largest;
      total += weight;
    }

    // Points of weight zero can never be drawn and add nothing to the posterior.
    const auto f = static_cast<Eigen::Index>(features);
    std::vector<std::size_t> kept;
    for (std::size_t j = 0; j < points; ++j) {
      if (weights[j] > 0) kept.push_back(j);
    }
    const auto count = static_cast<Eigen::Index>(kept.size());
    support_.resize(count, f);
    log_offset_.resize(count);
    cumulative_.resize(count);
    double running = 0.0;
    for (Eigen::Index j = 0; j < count; ++j) {
      const std::size_t source = kept[static_cast<std::size_t>(j)];
      for (Eigen::Index i = 0; i < f; ++i) support_(j, i) = support[source][static_cast<std::size_t>(i)];
      const double pi = weights[source] / total;
      log_offset_(j) = std::log(pi) - 0.5 * support_.row(j).squaredNorm();
      running += pi;
      cumulative_(j) = running;
    }
    cumulative_(count - 1) = 1.0;  // rounding must not leave a gap below 1
    terms_.resize(count, dims_.length);
  }

  // Features whose prior is unchanged when their sign is flipped: a zero
  // mean (Gaussian), or a support mapped onto itself with equal weights.
  std::vector<bool> symmetric_features() const {
    const Eigen::Index f = dims_.features;
    std::vector<bool> symmetric(static_cast<std::size_t>(f), false);
    for (Eigen::Index feature = 0; feature < f; ++feature) {
      bool flips = true;
      if (discrete_) {
        for (Eigen::Index j = 0; j < support_.rows() && flips; ++j) {
          Eigen::VectorXd mirrored = support_.row(j).transpose();
          mirrored(feature) = -mirrored(feature);
          bool found = false;
          for (Eigen::Index k = 0; k < support_.rows() && !found; ++k) {
            const double weight_j = j == 0 ? cumulative_(0) : cumulative_(j) - cumulative_(j - 1);
            const double weight_k = k == 0 ? cumulative_(0) : cumulative_(k) - cumulative_(k - 1);
            found = (support_.row(k).transpose() - mirrored).cwiseAbs().maxCoeff() == 0.0 &&
                    std::fabs(weight_j - weight_k) <= 1e-12;
          }
          flips = found;
        }
      } else {
        flips = mean_(feature) == 0.0;
      }
      symmetric[static_cast<std::size_t>(feature)] = flips;
    }
    return symmetric;
  }

  void draw_theta(attnlab::RandomStream& rng) {
    if (discrete_) {
      const double u = rng.uniform();
      const Eigen::Index last = cumulative_.size() - 1;
      Eigen::Index j = 0;
      while (j < last && u >= cumulative_(j)) ++j;
      theta_ = support_.row(j).transpose();
    } else {
      rng.fill_normal(theta_.data(), static_cast<std::size_t>(theta_.size()));
      theta_ = mean_ + std_.cwiseProduct(theta_);
    }
  }

  // posterior_ = p over the L locations from the fields chi (L x F).
  template <class Fields>
  void location_posterior(const Fields& chi) {
    if (discrete_) {
      // log r(chi_l) = log sum_j pi_j exp(theta_j . chi_l - |theta_j|^2 / 2), by log-sum-exp over j.
      // J x F times F x L with F and J small: a coefficient-wise product, which
      // also never allocates.
      terms_.noalias() = support_.lazyProduct(chi.transpose());
      for (Eigen::Index l = 0; l < chi.rows(); ++l) {
        auto column = terms_.col(l);
        column += log_offset_;
        const double top = column.maxCoeff();
        log_ratio_(l) = top + std::log((column.array() - top).exp().sum());
      }
    } else {
      for (Eigen::Index l = 0; l < chi.rows(); ++l) {
        double log_ratio = 0.0;
        for (Eigen::Index f = 0; f < chi.cols(); ++f) {
          const double c = chi(l, f);
          log_ratio += (quadratic_(f) * c + linear_(f)) * c;
        }
        log_ratio_(l) = log_ratio;
      }
    }
    softmax(log_ratio_, posterior_);
  }

  attnlab_data_dims dims_{};
  double delta_ = 0.1;
  bool discrete_ = false;
  std::vector<bool> symmetric_;  // per feature: its prior is sign-symmetric (limit_sample's pairs)

  // Gaussian prior and its log-likelihood-ratio coefficients.
  Eigen::VectorXd mean_, std_, quadratic_, linear_;
  // Discrete prior: points (J x F), log pi_j - |theta_j|^2 / 2, cumulative weights.
  attnlab::RowMatrix support_;
  Eigen::VectorXd log_offset_, cumulative_;

  // Scratch, sized once so that sampling and prediction do not allocate.
  Eigen::VectorXd theta_, log_ratio_, posterior_;
  attnlab::RowMatrix fields_;  // L x F
  Eigen::MatrixXd terms_;      // J x L, column-major so that each column is one location
};

}  // namespace

ATTNLAB_DATA_MODEL_PLUGIN(SingleLocation,
                          {.id = "single-location",
                           .name = "Single-location model",
                           .version = "1.0.0",
                           .description = "multi-index single-location regression with a Gaussian or discrete "
                                          "prior on the hidden features; exact Bayes prediction and risk; "
                                          "high-dimensional limit"})
