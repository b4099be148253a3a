// check_data_model (`attnlab check-plugin` on a data model): the built-in
// model and the good fixture pass every check; each broken fixture fails
// exactly the check aimed at its defect, with the measured figure.
#include "check_result_support.hpp"
#include "test_support.hpp"

#include <attnlab/framework/checks/data_model_checker.hpp>
#include <attnlab/framework/common/errors.hpp>

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
  attnlab::DataModelCheckOptions options;
  options.params = params;
  return attnlab::check_data_model(plugin, options);
}

// The checks every data model gets, in order, with the optional ones
// (bayes consistency, high-dimensional limit) before the long run.
std::vector<std::string> checks_with(const std::vector<std::string>& optional) {
  std::vector<std::string> names = {"dimensions",         "shapes",          "finiteness", "determinism",
                                    "teacher directions", "token statistics"};
  names.insert(names.end(), optional.begin(), optional.end());
  names.push_back("long run");
  return names;
}

const std::vector<std::string> kChecks = checks_with({});

std::vector<std::string> with_bayes() {
  return checks_with({"bayes consistency"});
}

std::vector<std::string> with_limit() {
  return checks_with({"high-dimensional limit"});
}

std::vector<std::string> with_bayes_and_limit() {
  return checks_with({"bayes consistency", "high-dimensional limit"});
}

}  // namespace

TEST_CASE("single-location passes every data-model check, Gaussian and discrete priors", "[data-model-checker]") {
  const std::string params =
      GENERATE(as<std::string>{}, "", "D = 8\nL = 4\nF = 2\nstd = [2, 0.5]\nmean = [1, 0]",
               "prior = discrete\nsupport = [[3], [-3]]\nD = 16\nL = 5\ndelta = 0", "D = 2\nL = 1");
  INFO("params: " << params);
  const auto results = check(attnlab::test::builtin_plugin("single-location"), params);
  CHECK(check_names(results) == with_bayes_and_limit());
  for (const auto& r : results) {
    INFO(r.name << ": " << r.detail);
    CHECK(r.passed);
  }
  const std::string& bayes = check_result(results, "bayes consistency").detail;
  CHECK_THAT(bayes, Contains("bound 4.00"));
  CHECK(std::abs(number_after(bayes, ": z = ")) <= 4.0);
  // A Bayes predictor beats the constant by many standard errors whenever
  // there is a signal (D = 2, L = 1: it sees the value coordinate directly).
  CHECK(number_after(bayes, "label variance ") > number_after(bayes, "samples = "));
  const std::string& limit = check_result(results, "high-dimensional limit").detail;
  CHECK_THAT(limit, Contains("bound 5.00"));
  CHECK(number_after(limit, "max |z| = ") <= 5.0);
}

TEST_CASE("the high-dimensional limit check is fast and sized by the plugin's L and F", "[data-model-checker][limit]") {
  const auto results = check(attnlab::test::builtin_plugin("single-location"), "D = 8\nL = 4\nF = 2\nmean = [1, 0]");
  const std::string& detail = check_result(results, "high-dimensional limit").detail;
  // 4 tokens x 3 directions: means, second moments and E[y chi] of 12 fields, plus E[y^2].
  CHECK_THAT(detail, Contains("4000 samples from sample() at D = 8 and from limit_sample: 37 statistics"));
  CHECK(check_result(results, "high-dimensional limit").passed);
}

TEST_CASE("a data model with a correct limit_sample and a rotated teacher passes every check",
          "[data-model-checker][limit][fixture]") {
  const auto results = check(PluginLibrary::load(good_fixture("fixture-limit-data-model")));
  CHECK(check_names(results) == with_limit());
  for (const auto& r : results) {
    INFO(r.name << ": " << r.detail);
    CHECK(r.passed);
  }
}

TEST_CASE("a limit_sample that forgets the shift fails the limit check only, at a key field's mean",
          "[data-model-checker][limit][fixture]") {
  const auto results = check(PluginLibrary::load(bad_fixture("fixture-limit-no-shift")));
  CHECK(check_names(results) == with_limit());
  CHECK(failed_checks(results) == std::vector<std::string>{"high-dimensional limit"});
  const std::string& detail = check_result(results, "high-dimensional limit").detail;
  INFO(detail);
  // sample(): E chi = E theta / L = 0.5 on every token; limit_sample: 0.
  CHECK_THAT(detail, Contains("the first: mean of teacher field (token 0, key 0): sample() "));
  CHECK(number_after(detail, "the first: mean of teacher field (token 0, key 0): sample() ") ==
        Approx(0.5).margin(0.1));
  CHECK(number_after(detail, ", z = ") > 5.0);
}

TEST_CASE("a limit_sample with the wrong noise variance fails the limit check only, at E[y^2]",
          "[data-model-checker][limit][fixture]") {
  const auto results = check(PluginLibrary::load(bad_fixture("fixture-limit-wrong-noise")));
  CHECK(check_names(results) == with_limit());
  CHECK(failed_checks(results) == std::vector<std::string>{"high-dimensional limit"});
  const std::string& detail = check_result(results, "high-dimensional limit").detail;
  INFO(detail);
  // E[y^2] = 1 + 0.25; the limit claims 1 + 0.5.
  CHECK_THAT(detail, Contains("1 of 19 statistics disagree") && Contains("the first: E[y^2]"));
  CHECK(number_after(detail, "limit_sample ") == Approx(1.5).margin(0.1));
}

TEST_CASE("single-location's teacher meets the convention to rounding", "[data-model-checker]") {
  const auto results = check(attnlab::test::builtin_plugin("single-location"), "D = 50\nF = 3");
  const std::string& detail = check_result(results, "teacher directions").detail;
  CHECK_THAT(detail, Contains("bound 1.00e-09 each"));
  CHECK(number_after(detail, "max ||k_f|^2/D - 1| = ") <= 1e-15);
  CHECK(number_after(detail, "max |k_f.k_g|/D = ") == 0.0);
}

TEST_CASE("with D = F + 1 there is no direction left for the token statistics", "[data-model-checker]") {
  const auto results = check(attnlab::test::builtin_plugin("single-location"), "D = 3\nF = 2");
  CHECK(failed_checks(results).empty());
  CHECK_THAT(check_result(results, "token statistics").detail, Contains("not checked"));
}

TEST_CASE("the good data-model fixture passes every check and has no Bayes check", "[data-model-checker][fixture]") {
  const auto results = check(PluginLibrary::load(good_fixture("fixture-data-model")));
  CHECK(check_names(results) == kChecks);
  for (const auto& r : results) {
    INFO(r.name << ": " << r.detail);
    CHECK(r.passed);
  }
}

TEST_CASE("a teacher key of norm 1 fails the teacher check only, by 3/4", "[data-model-checker][fixture]") {
  const auto results = check(PluginLibrary::load(bad_fixture("fixture-unit-key")));
  CHECK(check_names(results) == kChecks);
  CHECK(failed_checks(results) == std::vector<std::string>{"teacher directions"});
  const std::string& detail = check_result(results, "teacher directions").detail;
  CHECK_THAT(detail, Contains("bound 1.00e-09"));
  CHECK(number_after(detail, "max ||k_f|^2/D - 1| = ") == Approx(0.75));  // |k|^2 / D = 1/4
  CHECK(number_after(detail, "||v|^2/D - 1| = ") == 0.0);
}

TEST_CASE("risk samples that forget the label noise fail the Bayes check only", "[data-model-checker][fixture]") {
  const auto results = check(PluginLibrary::load(bad_fixture("fixture-zero-risk")));
  CHECK(check_names(results) == with_bayes());
  CHECK(failed_checks(results) == std::vector<std::string>{"bayes consistency"});
  const std::string& detail = check_result(results, "bayes consistency").detail;
  // The prediction's error is the noise, variance 0.25; the samples claim 0.
  CHECK(number_after(detail, "samples = ") == Approx(0.25).margin(0.02));
  CHECK(number_after(detail, "risk samples = ") == 0.0);
  CHECK(number_after(detail, ": z = ") > 4.0);
}

TEST_CASE("a negative noise variance from limit_sample is refused as the plugin's fault",
          "[data-model-checker][limit][fixture]") {
  const auto results = check(PluginLibrary::load(bad_fixture("fixture-limit-negative-noise")));
  CHECK(check_names(results) == with_limit());
  // The wrapper refuses the output wherever limit_sample is called.
  CHECK(failed_checks(results) == std::vector<std::string>{"finiteness", "determinism", "high-dimensional limit"});
  CHECK_THAT(check_result(results, "finiteness").detail,
             Contains("plugin 'fixture-limit-negative-noise'") &&
                 Contains("limit_sample returned a label noise variance of -0.25 at sample 0 (must be finite and at "
                          "least 0)"));
}

TEST_CASE("writing past the labels fails the shapes check, and nothing else runs", "[data-model-checker][fixture]") {
  const auto results = check(PluginLibrary::load(bad_fixture("fixture-label-overrun")));
  CHECK(check_names(results) == std::vector<std::string>{"dimensions", "shapes", "remaining checks"});
  CHECK(failed_checks(results) == std::vector<std::string>{"shapes", "remaining checks"});
  CHECK_THAT(check_result(results, "shapes").detail,
             Contains("sample wrote 1 double past the end of the labels buffer (batch of 1)"));
  CHECK_THAT(check_result(results, "remaining checks").detail, Contains("writes outside its buffers"));
}

TEST_CASE("parameters the data model refuses fail the create check, and nothing else runs", "[data-model-checker]") {
  const auto results = check(attnlab::test::builtin_plugin("single-location"), "F = 3\nD = 3");
  REQUIRE(check_names(results) == std::vector<std::string>{"create"});
  CHECK_FALSE(results[0].passed);
  CHECK_THAT(results[0].detail, Contains("invalid parameters") && Contains("D = 3 must be at least F + 1 = 4"));
}

TEST_CASE("probe_data_dims reads D, L, F without sampling", "[data-model-checker]") {
  const auto plugin = attnlab::test::builtin_plugin("single-location");
  const auto dims = attnlab::probe_data_dims(*plugin, "D = 12\nL = 3\nF = 2");
  REQUIRE(dims.has_value());
  CHECK(dims->dimension == 12);
  CHECK(dims->length == 3);
  CHECK(dims->features == 2);
  CHECK_FALSE(attnlab::probe_data_dims(*plugin, "D = 0").has_value());
}

TEST_CASE("the data-model checker refuses other kinds", "[data-model-checker]") {
  const auto optimizer = attnlab::test::builtin_plugin("sgd");
  CHECK_THAT(attnlab::test::thrown_message<attnlab::UsageError>([&] { check(optimizer); }),
             Contains("plugin 'sgd'") && Contains("is an optimizer, not a data-model"));
}
