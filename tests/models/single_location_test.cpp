// The single-location data model: shapes, determinism, teacher directions
// and the generative model itself, checked by Monte Carlo moments.
#include "model_test_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace attnlab;
using namespace attnlab::model_tests;

namespace {

struct Batch {
  std::vector<double> tokens;
  std::vector<double> labels;
};

Batch draw(DataModel& model, std::uint64_t seed, std::uint32_t batch) {
  Rng rng(seed);
  Batch out{std::vector<double>(std::size_t{batch} * model.length() * model.dimension()), std::vector<double>(batch)};
  model.sample(rng, batch, out.tokens, out.labels);
  return out;
}

// |mean - expected| within 5 standard errors: a false alarm has probability
// below 1e-6 per check, while the checks below are sensitive to errors of a
// few percent of the quantities tested.
void check_mean(const std::string& what, const std::vector<double>& values, double expected) {
  const MeanEstimate estimate = estimate_mean(values);
  INFO(what << ": mean " << estimate.mean << " +- " << estimate.standard_error << ", expected " << expected);
  CHECK(std::abs(estimate.mean - expected) < 5.0 * estimate.standard_error);
}

// Moments of the fields chi_{f,l} = x_{l,f} (coordinate f) and values
// u_l = x_{l,F}. With S_f = sum_l chi_{f,l} = theta_f + N(0, L):
//   E S_f = E theta_f,  E (S_f - E theta_f)^2 = Var theta_f + L.
// The label y = u_eps + delta xi ties the location of theta to the label:
//   E[y u_l] = P(eps = l) = 1 / L,
//   E[y sum_l u_l chi_{f,l}] = E[u_eps^2 (theta_f + z)] = E theta_f,
//   E[y sum_l u_l (chi_{f,l}^2 - 1)] = E theta_f^2,
// since u is independent of everything else and E u^2 = 1.
void check_generative_model(const std::string& params, const std::vector<double>& theta_mean,
                            const std::vector<double>& theta_square, double delta) {
  DataModel model = single_location(params);
  const std::uint32_t n = 20000;
  const Batch data = draw(model, 2024, n);
  const std::size_t length = model.length();
  const std::size_t dimension = model.dimension();
  const std::size_t features = model.features();
  REQUIRE(features == theta_mean.size());

  std::vector<double> label(n), label_square(n), noise_square(n);
  std::vector<std::vector<double>> label_value(length, std::vector<double>(n));
  std::vector<std::vector<double>> field_sum(features, std::vector<double>(n));
  std::vector<std::vector<double>> field_spread(features, std::vector<double>(n));
  std::vector<std::vector<double>> located_mean(features, std::vector<double>(n));
  std::vector<std::vector<double>> located_square(features, std::vector<double>(n));
  for (std::size_t b = 0; b < n; ++b) {
    const double y = data.labels[b];
    const double* x = data.tokens.data() + b * length * dimension;
    label[b] = y;
    label_square[b] = y * y;
    noise_square[b] = 0.0;
    for (std::size_t l = 0; l < length; ++l) {
      const double u = x[l * dimension + features];
      label_value[l][b] = y * u;
      // Coordinates beyond the teacher span are pure noise: E x^2 = 1.
      for (std::size_t j = features + 1; j < dimension; ++j) {
        noise_square[b] += x[l * dimension + j] * x[l * dimension + j];
      }
      for (std::size_t f = 0; f < features; ++f) {
        const double chi = x[l * dimension + f];
        field_sum[f][b] += chi;
        located_mean[f][b] += y * u * chi;
        located_square[f][b] += y * u * (chi * chi - 1.0);
      }
    }
    noise_square[b] /= static_cast<double>(length * (dimension - features - 1));
    for (std::size_t f = 0; f < features; ++f) {
      const double d = field_sum[f][b] - theta_mean[f];
      field_spread[f][b] = d * d;
    }
  }

  check_mean("label mean", label, 0.0);
  check_mean("label second moment", label_square, 1.0 + delta * delta);
  check_mean("noise coordinates", noise_square, 1.0);
  for (std::size_t l = 0; l < length; ++l) check_mean("E[y u_" + std::to_string(l) + "]", label_value[l], 1.0 / length);
  for (std::size_t f = 0; f < features; ++f) {
    const std::string name = "feature " + std::to_string(f);
    const double variance = theta_square[f] - theta_mean[f] * theta_mean[f];
    check_mean(name + ": sum of fields", field_sum[f], theta_mean[f]);
    check_mean(name + ": spread of the sum of fields", field_spread[f], variance + static_cast<double>(length));
    check_mean(name + ": theta at the label's location", located_mean[f], theta_mean[f]);
    check_mean(name + ": theta^2 at the label's location", located_square[f], theta_square[f]);
  }
}

}  // namespace

TEST_CASE("single-location reports its dimensions and defaults", "[single-location]") {
  const DataModel defaults = single_location("");
  CHECK(defaults.dimension() == 100);
  CHECK(defaults.length() == 10);
  CHECK(defaults.features() == 1);
  CHECK(defaults.has_bayes());

  CHECK(single_location("mean = [1, 2]").features() == 2);
  CHECK(single_location("std = [1, 2, 3]").features() == 3);
  CHECK(single_location("prior = discrete\nsupport = [[1, 0], [0, 1]]").features() == 2);
  CHECK(single_location("F = 4").features() == 4);
}

TEST_CASE("single-location teacher directions are orthogonal with squared norm D", "[single-location]") {
  const DataModel model = single_location("D = 20\nL = 5\nF = 3");
  const RowMatrix& keys = model.teacher_keys();
  const Eigen::VectorXd& value = model.teacher_value();
  REQUIRE(keys.rows() == 3);
  REQUIRE(keys.cols() == 20);
  REQUIRE(value.size() == 20);
  const RowMatrix gram = keys * keys.transpose();
  CHECK((gram - 20.0 * RowMatrix::Identity(3, 3)).cwiseAbs().maxCoeff() < 1e-12);
  CHECK((keys * value).cwiseAbs().maxCoeff() < 1e-12);
  CHECK(value.squaredNorm() == Approx(20.0).epsilon(1e-14));
}

TEST_CASE("single-location samples are determined by the seed", "[single-location]") {
  DataModel model = single_location("D = 12\nL = 5\nF = 2\nmean = [0.3, -0.2]");
  const Batch first = draw(model, 7, 16);
  REQUIRE(first.tokens.size() == 16u * 5 * 12);
  REQUIRE(first.labels.size() == 16u);
  CHECK(draw(model, 7, 16).tokens == first.tokens);
  CHECK(draw(model, 7, 16).labels == first.labels);
  CHECK(draw(model, 8, 16).tokens != first.tokens);

  // A stream moves on: the next batch is new data.
  Rng rng(7);
  Batch a{first.tokens, first.labels};
  model.sample(rng, 16, a.tokens, a.labels);
  CHECK(a.tokens == first.tokens);
  model.sample(rng, 16, a.tokens, a.labels);
  CHECK(a.tokens != first.tokens);

  // The label noise is drawn whatever delta is, so delta changes labels only.
  DataModel quiet = single_location("D = 12\nL = 5\nF = 2\nmean = [0.3, -0.2]\ndelta = 0");
  const Batch noiseless = draw(quiet, 7, 16);
  CHECK(noiseless.tokens == first.tokens);
  CHECK(noiseless.labels != first.labels);
}

TEST_CASE("single-location follows its generative model (Gaussian prior)", "[single-location][statistics]") {
  // theta ~ N([0.5, -1], diag([1.5, 0.5]^2)): E theta^2 = mu^2 + sigma^2.
  check_generative_model("D = 6\nL = 4\nmean = [0.5, -1]\nstd = [1.5, 0.5]\ndelta = 0.3", {0.5, -1.0},
                         {0.25 + 2.25, 1.0 + 0.25}, 0.3);
}

TEST_CASE("single-location follows its generative model (discrete prior)", "[single-location][statistics]") {
  // theta = (2, 0) with probability 1/4, (-1, 1) with probability 3/4.
  check_generative_model("D = 5\nL = 3\nprior = discrete\nsupport = [[2, 0], [-1, 1]]\nweights = [1, 3]\ndelta = 0.5",
                         {0.25 * 2 - 0.75, 0.75}, {0.25 * 4 + 0.75, 0.75}, 0.5);
}
