// The built-in default comparison, shortened: every activation learns, and
// the comparison is reported in lockstep.
#include "test_plugins.hpp"

#include <attnlab/framework/training/compare_config.hpp>
#include <attnlab/framework/training/comparison.hpp>

#include <catch2/catch.hpp>

TEST_CASE("on the default setting every activation's test error decreases", "[comparison]") {
  auto registry = attnlab::test::builtin_registry();
  // A fifth of the default length; still far past the initial plateau.
  const auto config = attnlab::load_compare_config(std::nullopt, {"train.time=2000", "eval.bayes_samples=20000"});
  attnlab::Comparison comparison(config, registry);
  std::vector<attnlab::LogPoint> points;
  comparison.run([&](const attnlab::LogPoint& point) { points.push_back(point); });

  REQUIRE(points.size() == comparison.schedule().log_steps.size());
  CHECK(points.front().step == 0);
  CHECK(points.back().step == comparison.schedule().total_steps);
  const auto bayes = comparison.bayes_risk();
  REQUIRE(bayes.has_value());
  for (std::size_t m = 0; m < config.activations.size(); ++m) {
    INFO(config.activations[m]);
    REQUIRE(points.back().models[m].evaluation.has_value());
    const double first = points.front().models[m].evaluation->test_mse;
    const double last = points.back().models[m].evaluation->test_mse;
    // Identical start: everything that depends only on the parameters
    // (not on the activation) is bit-identical across models at step 0.
    const auto& reference = *points.front().models[0].evaluation;
    const auto& start = *points.front().models[m].evaluation;
    CHECK(start.key_overlaps == reference.key_overlaps);
    CHECK(start.value_overlaps == reference.value_overlaps);
    CHECK(start.key_gram == reference.key_gram);
    CHECK(start.value_gram == reference.value_gram);
    // A drop of 0.1 is ~40 standard errors of a 4096-sample test MSE.
    CHECK(last < first - 0.1);
    CHECK(last > bayes->mean - 4 * bayes->standard_error - 0.02);  // nothing beats Bayes (test-set noise aside)
    CHECK_FALSE(points.back().models[m].status.stopped);
  }
}
