// check_optimizer (`attnlab check-plugin` on an optimizer): the built-ins and
// the good fixture pass every check; each broken fixture fails exactly the
// check aimed at its defect, with the measured figure.
#include "check_result_support.hpp"
#include "test_support.hpp"

#include <attnlab/framework/checks/optimizer_checker.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/hosting/optimizer.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using attnlab::CheckResult;
using attnlab::PluginLibrary;
using attnlab::test::bad_fixture;
using attnlab::test::check_names;
using attnlab::test::check_result;
using attnlab::test::failed_checks;
using attnlab::test::good_fixture;
using attnlab::test::number_after;
using Catch::Matchers::Contains;

namespace {

std::vector<CheckResult> check(const std::shared_ptr<const PluginLibrary>& plugin, const std::string& params = "") {
  attnlab::OptimizerCheckOptions options;
  options.params = params;
  return attnlab::check_optimizer(plugin, options);
}

const std::vector<std::string> kChecks = {
    "state size", "descent on a quadratic", "zero gradient", "determinism", "constraints", "long run"};

}  // namespace

TEST_CASE("the built-in optimizers and the fixture pass every check with their defaults", "[optimizer-checker]") {
  const std::string id = GENERATE("sgd", "sgd-sphere", "adam", "fixture-optimizer");
  INFO(id);
  const auto plugin =
      id == "fixture-optimizer" ? PluginLibrary::load(good_fixture(id)) : attnlab::test::builtin_plugin(id);
  const auto results = check(plugin);
  CHECK(check_names(results) == kChecks);
  for (const auto& r : results) {
    INFO(r.name << ": " << r.detail);
    CHECK(r.passed);
  }
  const double ratio = number_after(check_result(results, "descent on a quadratic").detail, "final / initial = ");
  CHECK(ratio > 0.0);
  CHECK(ratio < 1.0);
}

TEST_CASE("the state size is reported per parameter", "[optimizer-checker]") {
  // Adam keeps two moments per parameter: 2 x (3x40 + 3x40 + 3 + 2) = 490.
  const auto results = check(attnlab::test::builtin_plugin("adam"));
  const std::string& detail = check_result(results, "state size").detail;
  CHECK(number_after(detail, "state_size = ") == 490);
  CHECK_THAT(detail, Contains("2.00 per parameter") && Contains("245 parameters"));
}

TEST_CASE("sgd-sphere declares the sphere constraint and keeps its norms to rounding", "[optimizer-checker]") {
  const auto plugin = attnlab::test::builtin_plugin("sgd-sphere");
  CHECK(plugin->table<attnlab_optimizer_table>().constraint == ATTNLAB_CONSTRAINT_SPHERE);
  CHECK(attnlab::Optimizer(plugin).constraint() == ATTNLAB_CONSTRAINT_SPHERE);
  CHECK(attnlab::Optimizer(attnlab::test::builtin_plugin("sgd")).constraint() == ATTNLAB_CONSTRAINT_NONE);
  const auto results = check(plugin, "eta = 5");
  CHECK(failed_checks(results).empty());
  const std::string& detail = check_result(results, "constraints").detail;
  CHECK(number_after(detail, "over key and value vectors in 10 steps = ") <= 1e-14);
  // Biases and activation parameters are free: the quadratic moves their norms.
  CHECK(number_after(detail, "norms changed by up to ") > 1e-3);
}

TEST_CASE("plain sgd declares no constraint, and the check says so", "[optimizer-checker]") {
  const auto results = check(attnlab::test::builtin_plugin("sgd"));
  CHECK(check_result(results, "constraints").detail == "none declared");
  CHECK_THAT(check_result(results, "zero gradient").detail, Contains("all 245 parameters bit-identical"));
}

TEST_CASE("gradient ascent fails the descent check only", "[optimizer-checker][fixture]") {
  const auto results = check(PluginLibrary::load(bad_fixture("fixture-gradient-ascent")));
  CHECK(check_names(results) == kChecks);
  CHECK(failed_checks(results) == std::vector<std::string>{"descent on a quadratic"});
  const std::string& detail = check_result(results, "descent on a quadratic").detail;
  CHECK_THAT(detail, Contains("(must be < 1)"));
  CHECK(number_after(detail, "final / initial = ") > 10.0);  // |1 + 0.1 a| >= 1.05 per step, 50 steps
}

TEST_CASE("a sphere constraint that is declared but not kept fails the constraints check only",
          "[optimizer-checker][fixture]") {
  const auto plugin = PluginLibrary::load(bad_fixture("fixture-false-sphere"));
  const auto results = check(plugin);
  CHECK(check_names(results) == kChecks);
  CHECK(failed_checks(results) == std::vector<std::string>{"constraints"});
  const std::string& detail = check_result(results, "constraints").detail;
  CHECK_THAT(detail, Contains("sphere") && Contains("bound 1.00e-12"));
  CHECK(number_after(detail, "over key and value vectors in 10 steps = ") > 1e-3);
}

TEST_CASE("a step past the end of the state fails the state-size check, and nothing else runs",
          "[optimizer-checker][fixture]") {
  const auto results = check(PluginLibrary::load(bad_fixture("fixture-state-overrun")));
  CHECK(check_names(results) == std::vector<std::string>{"state size", "remaining checks"});
  CHECK(failed_checks(results) == check_names(results));
  CHECK_THAT(check_result(results, "state size").detail,
             Contains("step 0 wrote 1 double past the end of the state buffer"));
}

TEST_CASE("parameters the optimizer refuses fail the create check, and nothing else runs", "[optimizer-checker]") {
  const auto results = check(attnlab::test::builtin_plugin("adam"), "beta1 = 1");
  REQUIRE(check_names(results) == std::vector<std::string>{"create"});
  CHECK_FALSE(results[0].passed);
  CHECK_THAT(results[0].detail, Contains("invalid parameters") && Contains("beta1 = 1"));
}

TEST_CASE("a learning rate that overshoots fails the descent check", "[optimizer-checker]") {
  // lr = 200 / 40 = 5 with curvatures >= 0.5: |1 - lr a| >= 1.5 on every coordinate.
  const auto results = check(attnlab::test::builtin_plugin("sgd"), "eta = 200");
  CHECK(failed_checks(results) == std::vector<std::string>{"descent on a quadratic"});
}

TEST_CASE("the optimizer checker refuses other kinds", "[optimizer-checker]") {
  const auto model = attnlab::test::builtin_plugin("single-location");
  CHECK_THAT(attnlab::test::thrown_message<attnlab::UsageError>([&] { check(model); }),
             Contains("plugin 'single-location'") && Contains("is a data-model, not an optimizer"));
}
