// check_activation (the engine of `attnlab check-plugin`): correct plugins
// pass every check; each broken fixture fails exactly the check aimed at its
// defect, with the measured deviation in the detail.
#include "check_result_support.hpp"
#include "test_support.hpp"

#include <attnlab/framework/checks/activation_checker.hpp>
#include <attnlab/framework/common/errors.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using attnlab::CheckResult;
using attnlab::PluginLibrary;
using attnlab::test::bad_fixture;
using attnlab::test::good_fixture;
using Catch::Matchers::Contains;

namespace {

std::vector<CheckResult> check(const std::shared_ptr<const PluginLibrary>& plugin, const std::string& params = "") {
  attnlab::ActivationCheckOptions options;
  options.params = params;
  return attnlab::check_activation(plugin, options);
}

std::vector<std::string> names(const std::vector<CheckResult>& results) {
  std::vector<std::string> out;
  for (const auto& r : results) out.push_back(r.name);
  return out;
}

std::vector<std::string> failed(const std::vector<CheckResult>& results) {
  std::vector<std::string> out;
  for (const auto& r : results) {
    if (!r.passed) out.push_back(r.name);
  }
  return out;
}

const CheckResult& result(const std::vector<CheckResult>& results, const std::string& name) {
  for (const auto& r : results) {
    if (r.name == name) return r;
  }
  FAIL("no check named " << name);
  throw std::logic_error("unreachable");
}

// The number after the first "= " in a detail such as
// "max |...| = 3.21e-01 (bound ...)".
double measured(const std::string& detail) {
  return attnlab::test::number_after(detail, "= ");
}

const std::vector<std::string> kChecks = {"shapes",   "extreme-scores", "normalization", "head-mask",
                                          "backward", "determinism",    "long run"};

}  // namespace

TEST_CASE("the built-in activations and the plain-C fixture pass every check", "[checker][builtin]") {
  const std::string id = GENERATE("softmax", "softmax1", "bayes-softmax", "fixture-uniform");
  INFO(id);
  const auto plugin =
      id == "fixture-uniform" ? PluginLibrary::load(good_fixture(id)) : attnlab::test::builtin_plugin(id);
  const auto results = check(plugin);
  CHECK(names(results) == kChecks);
  for (const auto& r : results) {
    INFO(r.name << ": " << r.detail);
    CHECK(r.passed);
    CHECK_FALSE(r.detail.empty());
  }
}

TEST_CASE("fixture-good passes every check, its parameter gradient included", "[checker][fixture]") {
  const std::string params = GENERATE("", "beta = 0.4");
  const auto results = check(PluginLibrary::load(good_fixture("fixture-good")), params);
  CHECK(names(results) == std::vector<std::string>{"shapes", "extreme-scores", "normalization", "head-mask", "backward",
                                                   "backward-parameters", "determinism", "long run"});
  for (const auto& r : results) {
    INFO(r.name << ": " << r.detail);
    CHECK(r.passed);
  }
  CHECK_THAT(result(results, "backward-parameters").detail, Contains("parameter gradient"));
}

TEST_CASE("a wrong backward fails the backward check only, by a large margin", "[checker][fixture]") {
  const auto results = check(PluginLibrary::load(bad_fixture("fixture-wrong-backward")));
  CHECK(failed(results) == std::vector<std::string>{"backward"});
  const std::string& detail = result(results, "backward").detail;
  CHECK_THAT(detail, Contains("score gradient - central difference") && Contains("bound 1.00e-06"));
  // Dropping -a <a, g> is an O(1) relative error, not a rounding effect.
  CHECK(measured(detail) > 1e-2);
}

TEST_CASE("a broken normalization fails the normalization check only, by 0.5", "[checker][fixture]") {
  const auto results = check(PluginLibrary::load(bad_fixture("fixture-unnormalized")));
  CHECK(failed(results) == std::vector<std::string>{"normalization"});
  const std::string& detail = result(results, "normalization").detail;
  CHECK_THAT(detail, Contains("per-head sum 1") && Contains("bound 1.00e-10"));
  CHECK(measured(detail) == Approx(0.5).epsilon(1e-12));  // every head sums to 1/2
}

TEST_CASE("writing past the end of the weights fails the shapes check only", "[checker][fixture]") {
  const auto results = check(PluginLibrary::load(bad_fixture("fixture-overrun")));
  // Nothing else runs: later checks would hand it unguarded buffers.
  CHECK(failed(results) == std::vector<std::string>{"shapes", "remaining checks"});
  CHECK(results.size() == 2);
  CHECK_THAT(result(results, "shapes").detail, Contains("forward wrote 1 double past the end") && Contains("1x1x1"));
  CHECK_THAT(result(results, "remaining checks").detail, Contains("not run: the plugin writes outside its buffers"));
}

TEST_CASE("a throwing forward fails every check that runs it, with the plugin's message", "[checker][fixture]") {
  const auto results = check(PluginLibrary::load(bad_fixture("fixture-throwing-forward")));
  CHECK(names(results) == kChecks);
  for (const auto& r : results) {
    INFO(r.name << ": " << r.detail);
    CHECK_FALSE(r.passed);
    CHECK_THAT(r.detail, Contains("fixture-throwing-forward refuses every batch"));
  }
}

TEST_CASE("a NaN forward fails with the offending entry and value", "[checker][fixture]") {
  const auto results = check(PluginLibrary::load(bad_fixture("fixture-nan-forward")));
  CHECK(names(results) == kChecks);
  for (const auto& name : {"shapes", "extreme-scores", "normalization", "backward", "determinism"}) {
    INFO(name << ": " << result(results, name).detail);
    CHECK_FALSE(result(results, name).passed);
  }
  // The 1x1x1 shape comes first; its only entry is the spoiled one.
  CHECK_THAT(result(results, "shapes").detail, Contains("weight [0,0,0] of a 1x1x1 batch is nan"));
  CHECK_THAT(result(results, "extreme-scores").detail, Contains("non-finite weight (nan)"));
}

TEST_CASE("the activation checker refuses plugins of another kind", "[checker][fixture]") {
  const auto optimizer = PluginLibrary::load(good_fixture("fixture-optimizer"));
  CHECK_THAT(attnlab::test::thrown_message<attnlab::UsageError>([&] { check(optimizer); }),
             Contains("plugin 'fixture-optimizer'") && Contains("is an optimizer, not an activation"));
}

TEST_CASE("parameters the plugin refuses fail the create check, and nothing else runs", "[checker][fixture]") {
  const auto results = check(PluginLibrary::load(good_fixture("fixture-good")), "gamma = 1");
  REQUIRE(names(results) == std::vector<std::string>{"create"});
  CHECK_FALSE(results[0].passed);
  CHECK_THAT(results[0].detail, Contains("unknown parameter 'gamma' (accepted: beta)"));
}

TEST_CASE("a constructor that throws fails the create check, saying so", "[checker][fixture]") {
  const auto plugin = PluginLibrary::load(bad_fixture("fixture-throwing-constructor"));
  const auto results = check(plugin);
  REQUIRE(names(results) == std::vector<std::string>{"create"});
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].detail ==
        plugin->label() +
            ": constructor threw: fixture-throwing-constructor refuses to start (deliberate test failure)");
}
