// The host wrappers DataModel and Optimizer: sizes, capabilities, kinds,
// bad plugin output, and the Bayes risk estimator's bookkeeping.
#include "model_test_support.hpp"

#include <attnlab/framework/common/errors.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace attnlab;
using namespace attnlab::model_tests;

namespace {

DataModel plain_data(const std::string& params = "") {
  return DataModel(registry().get("test-plain-data", PluginKind::DataModel), params);
}

bool mentions(const std::string& message, std::initializer_list<const char*> parts) {
  for (const char* part : parts) {
    if (message.find(part) == std::string::npos) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("wrappers refuse a plugin of the wrong kind", "[wrappers]") {
  CHECK_THROWS_AS(DataModel(registry().get("sgd", PluginKind::Optimizer)), UsageError);
  CHECK(mentions(error_message([] { DataModel(registry().get("sgd", PluginKind::Optimizer)); }),
                 {"'sgd'", "expected a data model", "kind is optimizer"}));
  CHECK_THROWS_AS(Optimizer(registry().get("single-location", PluginKind::DataModel)), UsageError);
  CHECK(mentions(error_message([] { Optimizer(registry().get("single-location", PluginKind::DataModel)); }),
                 {"'single-location'", "expected an optimizer"}));
}

TEST_CASE("DataModel checks buffer sizes", "[wrappers]") {
  DataModel model = single_location("D = 4\nL = 3");
  Rng rng(1);
  std::vector<double> tokens(2 * 3 * 4), labels(2), short_tokens(2 * 3 * 4 - 1), prediction(3);
  CHECK_NOTHROW(model.sample(rng, 2, tokens, labels));
  CHECK_THROWS_AS(model.sample(rng, 2, short_tokens, labels), UsageError);
  CHECK_THROWS_AS(model.sample(rng, 3, tokens, labels), UsageError);
  CHECK_THROWS_AS(model.bayes_prediction(2, tokens, prediction), UsageError);
  CHECK(mentions(error_message([&] { model.sample(rng, 2, short_tokens, labels); }),
                 {"'single-location'", "2 x 3 x 4", "got 23"}));
}

TEST_CASE("DataModel without the Bayes capability refuses Bayes calls", "[wrappers]") {
  DataModel model = plain_data();
  CHECK_FALSE(model.has_bayes());
  CHECK(model.dimension() == 4);
  CHECK(model.teacher_keys()(0, 0) == 2.0);
  Rng rng(1);
  std::vector<double> tokens(3 * 4), labels(1), out(5);
  model.sample(rng, 1, tokens, labels);
  CHECK_THROWS_AS(model.bayes_prediction(1, tokens, labels), UsageError);
  CHECK_THROWS_AS(model.bayes_risk_samples(rng, out), UsageError);
  CHECK_THROWS_AS(estimate_bayes_risk(model, rng, 100), UsageError);
  CHECK(mentions(error_message([&] { model.bayes_risk_samples(rng, out); }), {"'test-plain-data'", "Bayes"}));
}

TEST_CASE("DataModel without limit_sample has no high-dimensional limit and says so", "[wrappers][limit]") {
  DataModel model = plain_data();
  CHECK_FALSE(model.has_limit());
  Rng rng(1);
  std::vector<double> fields(3 * 2), means(1), variances(1);
  CHECK_THROWS_AS(model.limit_sample(rng, 1, fields, means, variances), UsageError);
  CHECK(error_message([&] { model.limit_sample(rng, 1, fields, means, variances); }) ==
        "data model 'test-plain-data' has no high-dimensional limit: it does not provide limit_sample (see "
        "docs/WRITING_PLUGINS.md)");
}

TEST_CASE("DataModel checks limit_sample's buffer sizes", "[wrappers][limit]") {
  DataModel model = single_location("D = 5\nL = 3\nF = 2");
  REQUIRE(model.has_limit());
  Rng rng(1);
  std::vector<double> fields(2 * 3 * 3), means(2), variances(2), short_fields(2 * 3 * 3 - 1);
  CHECK_NOTHROW(model.limit_sample(rng, 2, fields, means, variances));
  CHECK_THROWS_AS(model.limit_sample(rng, 2, short_fields, means, variances), UsageError);
  CHECK_THROWS_AS(model.limit_sample(rng, 3, fields, means, variances), UsageError);
  CHECK(mentions(error_message([&] { model.limit_sample(rng, 2, short_fields, means, variances); }),
                 {"'single-location'", "2 x 3 x 3", "got 17"}));
}

TEST_CASE("DataModel reports bad plugin output as the plugin's fault", "[wrappers]") {
  DataModel model = plain_data("nan = 1");
  Rng rng(1);
  std::vector<double> tokens(2 * 3 * 4), labels(2);
  const std::string message = error_message([&] { model.sample(rng, 2, tokens, labels); });
  CHECK(mentions(message, {"'test-plain-data'", "non-finite label", "sample 1"}));
  CHECK_THROWS_AS(model.sample(rng, 2, tokens, labels), PluginError);

  CHECK_THROWS_AS(plain_data("zero_length = 1"), PluginError);
  CHECK(mentions(error_message([] { plain_data("zero_length = 1"); }), {"'test-plain-data'", "L = 0"}));
  CHECK(mentions(error_message([] { plain_data("colour = red"); }), {"'test-plain-data'", "'colour'"}));
}

TEST_CASE("DataModel moves keep the instance", "[wrappers]") {
  DataModel original = single_location("D = 5\nL = 2");
  std::vector<double> a(2 * 5), b(2 * 5), labels(1);
  Rng rng_a(3), rng_b(3);
  original.sample(rng_a, 1, a, labels);
  DataModel moved = std::move(original);
  moved.sample(rng_b, 1, b, labels);
  CHECK(a == b);
  CHECK(moved.teacher_keys().rows() == 1);
}

TEST_CASE("estimate_bayes_risk pools chunks into one mean and standard error", "[wrappers][bayes]") {
  DataModel model = single_location("D = 3\nL = 4\nstd = [1.5]");
  // 10000 samples span three chunks; the plugin draws sample after sample
  // from the stream, so one call for all of them sees the same values.
  Rng chunked(8), whole(8);
  const BayesRiskEstimate estimate = estimate_bayes_risk(model, chunked, 10000);
  std::vector<double> values(10000);
  model.bayes_risk_samples(whole, values);
  const MeanEstimate direct = estimate_mean(values);
  CHECK(estimate.samples == 10000);
  CHECK(estimate.mean == Approx(direct.mean).epsilon(1e-12));
  CHECK(estimate.standard_error == Approx(direct.standard_error).epsilon(1e-9));
  CHECK(chunked.next_u64() == whole.next_u64());

  Rng rng(1);
  CHECK_THROWS_AS(estimate_bayes_risk(model, rng, 1), UsageError);
}

TEST_CASE("Optimizer checks initialization and group layout", "[wrappers][optimizer]") {
  Optimizer adam = make_optimizer("adam");
  std::vector<double> values(6, 1.0), gradients(6, 0.5);
  std::vector<attnlab_parameter_group> groups = {{ATTNLAB_GROUP_KEYS, 2, 3, values.data(), gradients.data()}};
  CHECK_FALSE(adam.initialized());
  CHECK(mentions(error_message([&] { adam.step({0, 1, 3}, groups); }), {"'adam'", "before initialize"}));
  adam.initialize(groups);
  CHECK(adam.state().size() == 12);
  adam.step({0, 1, 3}, groups);

  std::vector<attnlab_parameter_group> other = {{ATTNLAB_GROUP_KEYS, 3, 2, values.data(), gradients.data()}};
  CHECK_THROWS_AS(adam.step({1, 1, 3}, other), UsageError);
  CHECK(mentions(error_message([&] { adam.step({1, 1, 3}, other); }), {"'adam'", "role 1 3x2", "role 1 2x3"}));

  // A moved optimizer carries its state on.
  Optimizer moved = std::move(adam);
  CHECK(moved.initialized());
  CHECK(moved.state().size() == 12);
  CHECK_NOTHROW(moved.step({1, 1, 3}, groups));
  CHECK(moved.state()[0] != 0.0);
}
