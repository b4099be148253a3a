// Bayes-softmax with one head per support point of a discrete prior and the
// keys, biases and values of the Bayes posterior computes exactly the Bayes
// prediction, so its test error is the Bayes risk.
#include "test_plugins.hpp"

#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/hosting/data_model.hpp>
#include <attnlab/framework/training/evaluation.hpp>
#include <attnlab/framework/training/learner.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

TEST_CASE("Bayes-softmax at the Bayes-optimal parameters reaches the Bayes risk", "[bayes]") {
  auto registry = attnlab::test::builtin_registry();
  // Three support points in F = 2 with unequal weights.
  const std::vector<std::vector<double>> support = {{1.5, 0.0}, {-1.0, 1.0}, {0.0, -2.0}};
  const std::vector<double> weights = {0.5, 0.3, 0.2};
  attnlab::DataModel data(registry.get("single-location", attnlab::PluginKind::DataModel),
                          "D = 40\nL = 6\ndelta = 0.3\nprior = discrete\n"
                          "support = [[1.5, 0.0], [-1.0, 1.0], [0.0, -2.0]]\nweights = [0.5, 0.3, 0.2]");
  const std::uint32_t heads = 3, length = data.length(), dimension = data.dimension();
  const std::uint32_t batch = 256;
  attnlab::Learner learner({heads, dimension, length, true},
                           attnlab::Activation(registry.get("bayes-softmax", attnlab::PluginKind::Activation)), batch);
  // k_h = sum_f theta_{h,f} k*_f,  b_h = log pi_h - |theta_h|^2 / 2,  v_h = v*.
  for (std::uint32_t h = 0; h < heads; ++h) {
    learner.keys_and_values().row(h).setZero();
    double norm2 = 0.0;
    for (std::uint32_t f = 0; f < 2; ++f) {
      learner.keys_and_values().row(h) += support[h][f] * data.teacher_keys().row(f);
      norm2 += support[h][f] * support[h][f];
    }
    learner.biases()[h] = std::log(weights[h]) - norm2 / 2;
    learner.keys_and_values().row(heads + h) = data.teacher_value().transpose();
  }

  attnlab::Rng rng(2024);
  std::vector<double> tokens(std::size_t{batch} * length * dimension), labels(batch);
  std::vector<double> predicted(batch), bayes(batch);
  double squared_error = 0.0, squared_error_sq = 0.0;
  double worst_difference = 0.0;
  const int rounds = 80;  // 20480 test samples
  for (int round = 0; round < rounds; ++round) {
    data.sample(rng, batch, tokens, labels);
    learner.predict(tokens, batch, predicted);
    data.bayes_prediction(batch, tokens, bayes);
    for (std::uint32_t i = 0; i < batch; ++i) {
      worst_difference = std::max(worst_difference, std::fabs(predicted[i] - bayes[i]));
      const double e = (labels[i] - predicted[i]) * (labels[i] - predicted[i]);
      squared_error += e;
      squared_error_sq += e * e;
    }
  }
  // Same function: agreement to rounding error on every sample.
  CHECK(worst_difference < 1e-10);

  // Two independent Monte Carlo estimates of the same number agree within
  // 4 combined standard errors (a false failure has probability < 1e-4).
  const double n = static_cast<double>(rounds) * batch;
  const double mse = squared_error / n;
  const double mse_se = std::sqrt((squared_error_sq / n - mse * mse) / n);
  attnlab::Rng bayes_rng(99);
  const auto risk = attnlab::estimate_bayes_risk(data, bayes_rng, 200000);
  INFO("test MSE " << mse << " +- " << mse_se << ", Bayes risk " << risk.mean << " +- " << risk.standard_error);
  CHECK(std::fabs(mse - risk.mean) < 4 * std::hypot(mse_se, risk.standard_error));
  // And the risk is well below the no-information error delta^2 + 1 - 1/L.
  CHECK(risk.mean < 0.09 + 1 - 1.0 / length - 0.1);
}

// The Bayes predictor's error on a run's test set (summary's "vs Bayes"):
// an estimate of the Bayes risk from the test set's own samples, so it must
// agree with the independent population estimate within their errors.
TEST_CASE("the Bayes predictor's error on the test set estimates the Bayes risk", "[bayes]") {
  auto registry = attnlab::test::builtin_registry();
  attnlab::DataModel data(registry.get("single-location", attnlab::PluginKind::DataModel), "D = 30\nL = 5");
  const std::uint32_t size = 8192;
  const attnlab::TestSet test_set = attnlab::make_test_set(data, 11, size);
  const double on_test_set = attnlab::bayes_test_error(data, test_set, attnlab::kEvaluationChunk);

  // Its sampling error, from the squared errors' spread (one call over the whole set).
  std::vector<double> prediction(size);
  data.bayes_prediction(size, test_set.tokens, prediction);
  double sum = 0.0, sum_sq = 0.0;
  for (std::uint32_t i = 0; i < size; ++i) {
    const double squared = (test_set.labels[i] - prediction[i]) * (test_set.labels[i] - prediction[i]);
    sum += squared;
    sum_sq += squared * squared;
  }
  CHECK(on_test_set == Approx(sum / size).epsilon(1e-12));  // chunking does not change it
  const double test_error = std::sqrt((sum_sq / size - (sum / size) * (sum / size)) / (size - 1));

  attnlab::Rng rng(attnlab::stream_seed(11, attnlab::StreamPurpose::BayesRisk));
  const attnlab::BayesRiskEstimate population = attnlab::estimate_bayes_risk(data, rng, 200000);
  const double combined = std::hypot(test_error, population.standard_error);
  INFO("test set " << on_test_set << " +- " << test_error << ", population " << population.mean << " +- "
                   << population.standard_error);
  CHECK(std::fabs(on_test_set - population.mean) < 4 * combined);
  CHECK(test_error < 0.05 * population.mean);  // the check above has teeth
}
