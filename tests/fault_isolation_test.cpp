// check-plugin's isolation: each check runs in a child process, so a plugin
// that crashes, hangs, aborts, returns NaN or throws after a few calls fails
// the checks that reach the fault (the long run always does) while the
// checker goes on. The fault-injection fixtures fault after `after` calls.
#include "check_result_support.hpp"
#include "test_support.hpp"

#include <attnlab/framework/checks/activation_checker.hpp>
#include <attnlab/framework/checks/activation_cost.hpp>
#include <attnlab/framework/checks/data_model_checker.hpp>
#include <attnlab/framework/checks/optimizer_checker.hpp>
#include <attnlab/framework/hosting/plugin_library.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using attnlab::CheckResult;
using attnlab::PluginLibrary;
using attnlab::test::check_result;
using attnlab::test::faulty_fixture;
using Catch::Matchers::Contains;

namespace {

// Short, so that the hang cases stay cheap; the checks that do not hang take
// well under a second.
constexpr double kTimeout = 2.0;

std::vector<CheckResult> check(const std::string& id, const std::string& params) {
  const auto plugin = PluginLibrary::load(faulty_fixture(id));
  if (id == "faulty-activation") {
    attnlab::ActivationCheckOptions options;
    options.params = params;
    options.check_timeout_seconds = kTimeout;
    return attnlab::check_activation(plugin, options);
  }
  if (id == "faulty-data-model") {
    attnlab::DataModelCheckOptions options;
    options.params = params;
    options.check_timeout_seconds = kTimeout;
    return attnlab::check_data_model(plugin, options);
  }
  attnlab::OptimizerCheckOptions options;
  options.params = params;
  options.check_timeout_seconds = kTimeout;
  return attnlab::check_optimizer(plugin, options);
}

// What the long run must say for each fault.
std::string expected_detail(const std::string& fault) {
  if (fault == "segfault") return "crashed (SIGSEGV)";
  if (fault == "hang") return "hung (no answer in 2 s)";
  if (fault == "abort") return "crashed (SIGABRT)";
  if (fault == "nan") return "nan";
  return "fault injected after 5 calls (deliberate test failure)";
}

}  // namespace

TEST_CASE("the fault-injection fixtures pass every check without a fault", "[isolation][fixture]") {
  const std::string id = GENERATE("faulty-activation", "faulty-data-model", "faulty-optimizer");
  INFO(id);
  const auto results = check(id, "");
  REQUIRE_FALSE(results.empty());
  CHECK(results.back().name == "long run");
  for (const auto& r : results) {
    INFO(r.name << ": " << r.detail);
    CHECK(r.passed);
  }
}

TEST_CASE("a plugin that faults after 5 calls fails the long run, and the checks before still pass",
          "[isolation][fixture]") {
  const auto [id, call] = GENERATE(table<std::string, std::string>({{"faulty-activation", "forward"},
                                                                    {"faulty-activation", "backward"},
                                                                    {"faulty-data-model", "sample"},
                                                                    {"faulty-optimizer", "step"}}));
  const std::string fault = GENERATE("segfault", "abort", "nan", "throw");
  INFO(id << ", " << fault << " in " << call);
  const std::string params =
      "fault = " + fault + "; after = 5" + (id == "faulty-activation" ? "; call = " + call : std::string());
  const auto results = check(id, params);
  const CheckResult& long_run = check_result(results, "long run");
  CHECK_FALSE(long_run.passed);
  CHECK_THAT(long_run.detail, Contains(expected_detail(fault)));
  // The first check makes at most 5 calls of each kind: it passes.
  REQUIRE(results.size() > 2);
  INFO(results[0].name << ": " << results[0].detail);
  CHECK(results[0].passed);
}

TEST_CASE("a plugin that hangs fails each check it hangs in after the time limit, and the checker goes on",
          "[isolation][fixture][hang]") {
  const auto results = check("faulty-optimizer", "fault = hang; after = 5");
  CHECK(check_result(results, "long run").detail == "hung (no answer in 2 s)");
  CHECK(check_result(results, "state size").passed);     // 3 steps
  CHECK(check_result(results, "zero gradient").passed);  // 1 step
}

TEST_CASE("the cost measurement fails on a crash, a hang or a NaN late in its calls", "[isolation][fixture]") {
  const std::string fault = GENERATE("segfault", "nan", "hang");
  INFO(fault);
  const auto plugin = PluginLibrary::load(faulty_fixture("faulty-activation"));
  const auto measured =
      attnlab::measure_activation_cost_isolated(plugin, "fault = " + fault + "; after = 5", {64, 4, 16}, 1, kTimeout);
  CHECK_FALSE(measured.cost.has_value());
  CHECK_THAT(measured.failure, Contains(expected_detail(fault)));
  const auto healthy = attnlab::measure_activation_cost_isolated(plugin, "", {64, 4, 16}, 1, kTimeout);
  CHECK(healthy.cost.has_value());
}

TEST_CASE("a constructor that throws is reported as such, not as invalid parameters", "[isolation][fixture]") {
  const auto plugin = PluginLibrary::load(attnlab::test::bad_fixture("fixture-throwing-constructor"));
  const auto results = attnlab::check_activation(plugin, {});
  REQUIRE(attnlab::test::check_names(results) == std::vector<std::string>{"create"});
  CHECK(results[0].detail == plugin->label() +
                                 ": constructor threw: fixture-throwing-constructor refuses to start (deliberate "
                                 "test failure)");
}

TEST_CASE("invalid fault parameters are refused as invalid parameters", "[isolation][fixture]") {
  const auto results = check("faulty-optimizer", "fault = explode");
  REQUIRE(results.size() == 1);
  CHECK_THAT(results[0].detail, Contains("invalid parameters") && Contains("explode"));
}
