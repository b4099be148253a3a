// Every invalid single-location parameter is rejected with a message that
// names the plugin, the key and the offending value.
#include "model_test_support.hpp"

#include <attnlab/framework/common/errors.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace attnlab;
using namespace attnlab::model_tests;

TEST_CASE("single-location rejects bad parameters by name and value", "[single-location][params]") {
  struct Case {
    std::string params;
    std::vector<std::string> mentions;
  };
  const std::vector<Case> cases = {
      {"D = 2\nF = 2", {"D = 2", "F + 1 = 3", "orthogonal"}},
      {"D = 1", {"D = 1", "F + 1 = 2"}},
      {"D = 2.5", {"'D'", "2.5", "integer"}},
      {"D = 1e12", {"D = 1000000000000", "at most"}},
      {"D = 9223372036854775807",
       {"parameter 'D' = 9223372036854775807 is out of range for an integer (at most 9e15 in magnitude)"}},
      {"D = \"100\"", {"parameter 'D' must be a number, got the string \"100\""}},
      {"L = 0", {"L = 0", "at least 1"}},
      {"L = -3", {"L = -3"}},
      {"F = 0", {"F = 0", "at least 1"}},
      {"delta = -0.1", {"delta = -0.1", "at least 0"}},
      {"delta = abc", {"'delta'", "abc"}},
      {"std = [1, -2]", {"std[1] = -2", "at least 0"}},
      {"mean = [0, 0]\nstd = [1]", {"std has 1 entries", "F = 2", "mean"}},
      {"F = 3\nmean = [0, 0]", {"mean has 2 entries", "F = 3"}},
      {"mean = [1e9]", {"mean[0] = 1000000000", "magnitude"}},
      {"mean = 3", {"'mean'", "list"}},
      {"prior = laplace", {"prior = 'laplace'", "gaussian, discrete"}},
      {"prior = discrete", {"prior = discrete", "support"}},
      {"support = [[1]]", {"support", "prior = discrete", "gaussian"}},
      {"weights = [1]", {"weights", "prior = discrete"}},
      {"prior = discrete\nsupport = [[1]]\nmean = [0]", {"mean", "prior = gaussian"}},
      {"prior = discrete\nsupport = []", {"support = []", "at least one row"}},
      {"prior = discrete\nsupport = [[1], [2, 3]]", {"support row 1 has 2 entries", "F = 1"}},
      {"prior = discrete\nsupport = [[1], [-1]]\nweights = [1]", {"weights has 1 entries", "2 rows"}},
      {"prior = discrete\nsupport = [[1], [-1]]\nweights = [1, -1]", {"weights[1] = -1", "at least 0"}},
      {"prior = discrete\nsupport = [[1], [-1]]\nweights = [0, 0]", {"weights", "positive sum"}},
      {"prior = discrete\nsupport = [[1], [-1]]\nweights = [1e999, 1]",
       {"parameter 'weights' = 1e999 is out of range for a number (largest magnitude about 1.8e308)"}},
      {"typo = 3", {"'typo'", "unknown parameter"}},
  };
  for (const Case& c : cases) {
    INFO("params: " << c.params);
    const std::string message = error_message([&] { single_location(c.params); });
    INFO("message: " << message);
    REQUIRE(!message.empty());
    CHECK(message.find("single-location") != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
    for (const std::string& mention : c.mentions) CHECK(message.find(mention) != std::string::npos);
  }
  CHECK_THROWS_AS(single_location("L = 0"), PluginError);
}

TEST_CASE("single-location accepts zero-weight support points and unnormalized weights", "[single-location][params]") {
  DataModel model = single_location("D = 3\nL = 4\nprior = discrete\nsupport = [[5], [-5], [7]]\nweights = [3, 1, 0]");
  // P(theta = 5) = 3/4, and theta = 7 is never drawn: the sum of the fields
  // S = theta + N(0, L) has mean 3/4 * 5 - 1/4 * 5 = 2.5 (standard error
  // sqrt((Var theta + L) / n) = sqrt(22.75 / 4000) ≈ 0.075).
  const std::uint32_t n = 4000;
  std::vector<double> tokens(std::size_t{n} * 4 * 3), labels(n), sums(n);
  Rng rng(9);
  model.sample(rng, n, tokens, labels);
  for (std::size_t b = 0; b < n; ++b) {
    for (std::size_t l = 0; l < 4; ++l) sums[b] += tokens[(b * 4 + l) * 3];
  }
  const MeanEstimate e = estimate_mean(sums);
  INFO(e.mean << " +- " << e.standard_error);
  CHECK(std::abs(e.mean - 2.5) < 5.0 * e.standard_error);
}

namespace {

// Tokens, labels, Bayes predictions and risk samples of one batch drawn with
// `seed`, concatenated: equal for models with the same prior.
std::vector<double> outputs(DataModel& model, std::uint64_t seed) {
  const std::uint32_t batch = 64;
  std::vector<double> tokens(std::size_t{batch} * model.length() * model.dimension()), labels(batch), prediction(batch),
      risk(batch);
  Rng rng(seed);
  model.sample(rng, batch, tokens, labels);
  model.bayes_prediction(batch, tokens, prediction);
  model.bayes_risk_samples(rng, risk);
  std::vector<double> all = tokens;
  for (const auto* part : {&labels, &prediction, &risk}) all.insert(all.end(), part->begin(), part->end());
  return all;
}

DataModel two_points(const std::string& weights) {
  return single_location("D = 4\nL = 3\nprior = discrete\nsupport = [[1.5], [-0.5]]\nweights = " + weights);
}

}  // namespace

TEST_CASE("single-location weights near the largest double or subnormal normalize like their ratios",
          "[single-location][params]") {
  DataModel even = two_points("[1, 1]");
  const std::vector<double> expected = outputs(even, 5);
  DataModel huge = two_points("[1e308, 1e308]");
  CHECK(outputs(huge, 5) == expected);
  DataModel tiny = two_points("[1e-320, 1e-320]");
  CHECK(outputs(tiny, 5) == expected);

  // A subnormal weight beside 1 is a valid, negligible weight: the point is
  // kept, yet the data are those of the second point alone.
  DataModel lopsided = two_points("[1e-320, 1]");
  DataModel second = two_points("[0, 1]");
  const std::vector<double> lopsided_outputs = outputs(lopsided, 6);
  const std::vector<double> second_outputs = outputs(second, 6);
  REQUIRE(lopsided_outputs.size() == second_outputs.size());
  for (std::size_t i = 0; i < second_outputs.size(); ++i) {
    CHECK(lopsided_outputs[i] == Approx(second_outputs[i]).margin(1e-12));
  }
}
