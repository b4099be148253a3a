// The single-location model's Bayes-optimal prediction and risk: agreement
// between the two, exact anchors, and the posterior's correctness.
#include "model_test_support.hpp"

#include <catch2/catch.hpp>

#include <Eigen/Eigenvalues>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

using namespace attnlab;
using namespace attnlab::model_tests;

namespace {

// Sampled data with the Bayes prediction for each sample.
struct PredictedData {
  std::uint32_t samples = 0;
  std::vector<double> tokens;
  std::vector<double> labels;
  std::vector<double> prediction;
};

PredictedData predict(DataModel& model, std::uint64_t seed, std::uint32_t samples) {
  const std::size_t per_sample = std::size_t{model.length()} * model.dimension();
  PredictedData data{samples, std::vector<double>(samples * per_sample), std::vector<double>(samples),
                     std::vector<double>(samples)};
  Rng rng(seed);
  model.sample(rng, samples, data.tokens, data.labels);
  model.bayes_prediction(samples, data.tokens, data.prediction);
  return data;
}

std::vector<double> squared_errors(const PredictedData& data) {
  std::vector<double> out(data.samples);
  for (std::size_t b = 0; b < out.size(); ++b) out[b] = std::pow(data.labels[b] - data.prediction[b], 2);
  return out;
}

// Sum over tokens of u_l g(chi_{feature,l}): a function of X to test the
// residual against.
template <class G>
std::vector<double> residual_times(const DataModel& model, const PredictedData& data, std::uint32_t feature, G g) {
  const std::size_t length = model.length();
  const std::size_t dimension = model.dimension();
  std::vector<double> out(data.samples);
  for (std::size_t b = 0; b < out.size(); ++b) {
    double statistic = 0.0;
    for (std::size_t l = 0; l < length; ++l) {
      const double* x = data.tokens.data() + (b * length + l) * dimension;
      statistic += x[model.features()] * g(x[feature]);
    }
    out[b] = (data.labels[b] - data.prediction[b]) * statistic;
  }
  return out;
}

std::string show(double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

// Probabilists' Gauss-Hermite rule (Golub-Welsch): E g(Z) ≈ sum_j w_j g(x_j)
// for Z ~ N(0, 1), exact for polynomials of degree < 2n.
void gauss_hermite(int n, std::vector<double>& nodes, std::vector<double>& weights) {
  Eigen::MatrixXd jacobi = Eigen::MatrixXd::Zero(n, n);
  for (int k = 1; k < n; ++k) jacobi(k, k - 1) = jacobi(k - 1, k) = std::sqrt(static_cast<double>(k));
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(jacobi);
  nodes.resize(n);
  weights.resize(n);
  for (int j = 0; j < n; ++j) {
    nodes[j] = solver.eigenvalues()(j);
    weights[j] = solver.eigenvectors()(0, j) * solver.eigenvectors()(0, j);
  }
}

}  // namespace

TEST_CASE("Bayes prediction error on sampled data matches the Bayes risk estimate", "[bayes][statistics]") {
  DataModel model = single_location("D = 4\nL = 6\nmean = [0.5, 0]\nstd = [1, 2]\ndelta = 0.2");
  const PredictedData data = predict(model, 11, 50000);
  const MeanEstimate empirical = estimate_mean(squared_errors(data));
  Rng rng(12);
  const BayesRiskEstimate risk = estimate_bayes_risk(model, rng, 50000);
  REQUIRE(risk.samples == 50000);

  // Two independent estimates of the same number: their difference has
  // standard error sqrt(se1^2 + se2^2); 5 of them is a 1e-6 false alarm.
  const double combined = std::hypot(empirical.standard_error, risk.standard_error);
  INFO("empirical " << empirical.mean << " +- " << empirical.standard_error << ", estimate " << risk.mean << " +- "
                    << risk.standard_error);
  CHECK(std::abs(empirical.mean - risk.mean) < 5.0 * combined);
  // Conditioning on the fields integrates out the noise in u and xi.
  CHECK(risk.standard_error < empirical.standard_error);
  // Informative, not an anchor: well between delta^2 and delta^2 + 1 - 1/L.
  CHECK(risk.mean > 0.04 + 0.1);
  CHECK(risk.mean < 0.04 + 1.0 - 1.0 / 6.0 - 0.1);
}

TEST_CASE("Bayes residual is uncorrelated with functions of the tokens", "[bayes][statistics]") {
  // E[y | X] is the Bayes prediction iff E[(y - f(X)) g(X)] = 0 for every g.
  // A wrong posterior over the location fails this for g that weigh tokens
  // by their fields; a wrong value read-out fails it for g = f itself.
  const std::string params = "D = 4\nL = 5\nmean = [0.5, 0]\nstd = [1, 1.5]\ndelta = 0.2";
  DataModel model = single_location(params);
  const PredictedData data = predict(model, 21, 40000);

  const auto check_zero = [](const std::string& what, const std::vector<double>& values, bool expect_zero) {
    const MeanEstimate e = estimate_mean(values);
    INFO(what << ": " << e.mean << " +- " << e.standard_error);
    if (expect_zero) {
      CHECK(std::abs(e.mean) < 5.0 * e.standard_error);
    } else {
      CHECK(std::abs(e.mean) > 5.0 * e.standard_error);
    }
  };
  std::vector<double> with_prediction(data.samples);
  for (std::size_t b = 0; b < with_prediction.size(); ++b) {
    with_prediction[b] = (data.labels[b] - data.prediction[b]) * data.prediction[b];
  }
  check_zero("residual x prediction", with_prediction, true);
  check_zero("residual x sum u chi_0", residual_times(model, data, 0, [](double c) { return c; }), true);
  check_zero("residual x sum u chi_1^2", residual_times(model, data, 1, [](double c) { return c * c; }), true);

  // Power of the check: the posterior of a mis-specified prior (feature 1's
  // variance ignored) on the same tokens is caught by the same statistic.
  DataModel wrong = single_location("D = 4\nL = 5\nmean = [0.5, 0]\nstd = [1, 0]\ndelta = 0.2");
  PredictedData misfit = data;
  wrong.bayes_prediction(misfit.samples, misfit.tokens, misfit.prediction);
  check_zero("mis-specified residual x sum u chi_1^2", residual_times(model, misfit, 1, [](double c) { return c * c; }),
             false);
}

TEST_CASE("Bayes risk without signal is delta^2 + 1 - 1/L exactly", "[bayes]") {
  const double expected = 0.25 + 1.0 - 1.0 / 7.0;
  for (const std::string params : {"D = 3\nL = 7\ndelta = 0.5\nmean = [0]\nstd = [0]",
                                   "D = 3\nL = 7\ndelta = 0.5\nprior = discrete\nsupport = [[0]]"}) {
    INFO(params);
    DataModel model = single_location(params);
    Rng rng(3);
    const BayesRiskEstimate risk = estimate_bayes_risk(model, rng, 1000);
    CHECK(std::abs(risk.mean - expected) < 1e-12);
    CHECK(risk.standard_error < 1e-12);

    // The posterior is uniform: the prediction is the mean of the values.
    const PredictedData data = predict(model, 4, 20);
    for (std::size_t b = 0; b < data.samples; ++b) {
      double mean_value = 0.0;
      for (std::size_t l = 0; l < 7; ++l) mean_value += data.tokens[(b * 7 + l) * 3 + 1] / 7.0;
      CHECK(std::abs(data.prediction[b] - mean_value) < 1e-12);
    }
  }
}

TEST_CASE("Bayes risk of a strong flipped spike is delta^2", "[bayes]") {
  // theta = +-30: the signal token's log-likelihood ratio exceeds the others'
  // by about 900, so the location is known and only the label noise is left.
  DataModel model = single_location("D = 3\nL = 10\ndelta = 0.1\nprior = discrete\nsupport = [[30], [-30]]");
  Rng rng(5);
  const BayesRiskEstimate risk = estimate_bayes_risk(model, rng, 5000);
  CHECK(std::abs(risk.mean - 0.01) < 1e-9);

  // On sampled data the squared error is delta^2 xi^2: mean 0.01, standard
  // error 0.01 sqrt(2 / n).
  const PredictedData data = predict(model, 6, 20000);
  const MeanEstimate empirical = estimate_mean(squared_errors(data));
  INFO("empirical " << empirical.mean << " +- " << empirical.standard_error);
  CHECK(std::abs(empirical.mean - 0.01) < 5.0 * empirical.standard_error);
}

TEST_CASE("Gaussian and discrete priors agree where they coincide", "[bayes]") {
  SECTION("a point-mass prior written both ways gives the same posterior") {
    DataModel gaussian = single_location("D = 5\nL = 6\nmean = [1.5, -0.5]\nstd = [0, 0]");
    DataModel discrete = single_location("D = 5\nL = 6\nprior = discrete\nsupport = [[1.5, -0.5]]");
    const PredictedData data = predict(gaussian, 31, 500);
    PredictedData other = data;
    discrete.bayes_prediction(other.samples, other.tokens, other.prediction);
    for (std::size_t b = 0; b < data.samples; ++b) CHECK(std::abs(other.prediction[b] - data.prediction[b]) < 1e-12);
  }

  SECTION("a Gauss-Hermite discretisation of the Gaussian prior gives nearly the same posterior and risk") {
    // theta ~ N(0.5, 1.5^2) against 60 quadrature points mu + sigma x_j with
    // weights w_j. The likelihood ratio E exp(theta chi - theta^2 / 2) is an
    // integral of a smooth, Gaussian-damped function, which the rule
    // integrates to many digits for the fields that occur (|chi| < 7).
    std::vector<double> nodes, weights;
    gauss_hermite(60, nodes, weights);
    std::string support = "[", weight_list = "[";
    for (std::size_t j = 0; j < nodes.size(); ++j) {
      support += (j ? ", [" : "[") + show(0.5 + 1.5 * nodes[j]) + "]";
      weight_list += (j ? ", " : "") + show(weights[j]);
    }
    DataModel gaussian = single_location("D = 3\nL = 8\nmean = [0.5]\nstd = [1.5]\ndelta = 0.3");
    DataModel discrete = single_location("D = 3\nL = 8\ndelta = 0.3\nprior = discrete\nsupport = " + support +
                                         "]\nweights = " + weight_list + "]");
    const PredictedData data = predict(gaussian, 41, 2000);
    PredictedData other = data;
    discrete.bayes_prediction(other.samples, other.tokens, other.prediction);
    double largest = 0.0;
    for (std::size_t b = 0; b < data.samples; ++b) {
      largest = std::max(largest, std::abs(other.prediction[b] - data.prediction[b]));
    }
    INFO("largest prediction difference " << largest);
    CHECK(largest < 1e-8);

    // Different draws (a normal against a categorical theta): compare the two
    // risk estimates statistically.
    Rng rng_a(42), rng_b(43);
    const BayesRiskEstimate a = estimate_bayes_risk(gaussian, rng_a, 20000);
    const BayesRiskEstimate b = estimate_bayes_risk(discrete, rng_b, 20000);
    INFO("gaussian " << a.mean << " +- " << a.standard_error << ", discrete " << b.mean << " +- " << b.standard_error);
    CHECK(std::abs(a.mean - b.mean) < 5.0 * std::hypot(a.standard_error, b.standard_error));
  }

  SECTION("a stronger feature signal lowers the Bayes risk") {
    DataModel weak = single_location("D = 3\nL = 8\nstd = [0.5]");
    DataModel strong = single_location("D = 3\nL = 8\nstd = [3]");
    Rng rng_a(51), rng_b(52);
    const BayesRiskEstimate a = estimate_bayes_risk(weak, rng_a, 10000);
    const BayesRiskEstimate b = estimate_bayes_risk(strong, rng_b, 10000);
    INFO("weak " << a.mean << " +- " << a.standard_error << ", strong " << b.mean << " +- " << b.standard_error);
    CHECK(a.mean - b.mean > 5.0 * std::hypot(a.standard_error, b.standard_error));
  }
}
