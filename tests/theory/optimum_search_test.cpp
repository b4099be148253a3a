// The gradient flow of --optimum: without the eta^2 term the drift is
// linear in eta (a gradient), the flow never raises the risk of the sample
// it descends, and basins group ends by risk.
#include "../experiments/test_plugins.hpp"
#include "random_state.hpp"

#include <attnlab/framework/hosting/data_model.hpp>
#include <attnlab/framework/theory/field_sample.hpp>
#include <attnlab/framework/theory/optimum_search.hpp>

#include <catch2/catch.hpp>

#include <vector>

namespace {

using namespace attnlab;

constexpr const char* kData =
    "D = 200\nL = 6\nprior = \"discrete\"\nsupport = [[2.5, 0.0], [-2.5, 0.0], [0.0, 2.5]]\n"
    "weights = [1.0, 1.0, 1.0]\ndelta = 0.1\n";
constexpr std::uint32_t kHeads = 3;

}  // namespace

TEST_CASE("the gradient flow's drift is linear in eta, and with SGD noise it is not") {
  auto registry = test::builtin_registry();
  DataModel data(registry.get("single-location", PluginKind::DataModel), kData);
  const FieldSample sample = draw_field_sample(data, 3, 1024, kHeads);
  Activation activation(registry.get("bayes-softmax", PluginKind::Activation));
  const OrderParameters start = test::random_state(data, kHeads, 0.5, 4);
  for (const bool flow : {true, false}) {
    LimitSteps steps{0.1, 0.1, 0.0, false};
    steps.gradient_flow = flow;
    LimitSteps doubled = steps;
    doubled.eta = doubled.bias_eta = 0.2;
    OrderParameters rate, rate_doubled;
    LimitDynamics(activation, steps, true).rate(start, sample, rate);
    LimitDynamics(activation, doubled, true).rate(start, sample, rate_doubled);
    const double deviation = (rate_doubled.student - 2.0 * rate.student).cwiseAbs().maxCoeff();
    INFO("gradient flow " << flow << ": deviation " << deviation);
    if (flow) {
      CHECK(deviation < 1e-12 * rate.student.cwiseAbs().maxCoeff());
    } else {
      CHECK(deviation > 1e-4 * rate.student.cwiseAbs().maxCoeff());
    }
  }
}

TEST_CASE("the gradient flow lowers the risk of the sample it descends, from every start") {
  auto registry = test::builtin_registry();
  DataModel data(registry.get("single-location", PluginKind::DataModel), kData);
  const FieldSample sample = draw_field_sample(data, 5, 1024, kHeads);
  Activation activation(registry.get("bayes-softmax", PluginKind::Activation));
  LimitSteps steps{0.1, 0.1, 0.0, false};
  steps.gradient_flow = true;
  LimitDynamics dynamics(activation, steps, true);
  for (const std::uint64_t seed : {6, 7}) {
    const OrderParameters start = test::random_state(data, kHeads, 0.5, seed);
    const FlowEnd end = flow_to_rest(dynamics, sample, sample, start, 200.0, OptimumOptions{});
    const double before = dynamics.measure(start, sample).risk;
    INFO("seed " << seed << ": " << before << " -> " << end.risk);
    CHECK(end.time <= 200.0);
    CHECK(end.risk < before);
    CHECK(end.used_heads >= 1);
    CHECK(end.used_heads <= kHeads);
  }
}

TEST_CASE("basins group ends by risk, lowest first") {
  std::vector<FlowEnd> ends(5);
  const std::vector<double> risks{0.52, 0.41, 0.5205, 0.412, 0.60};
  for (std::uint32_t i = 0; i < ends.size(); ++i) {
    ends[i].start = i;
    ends[i].risk = risks[i];
    ends[i].used_heads = i + 1;
  }
  const std::vector<Basin> basins = basins_of(ends, 3e-3);
  REQUIRE(basins.size() == 3);
  CHECK(basins[0].risk == 0.41);
  CHECK(basins[0].starts == std::vector<std::uint32_t>{1, 3});
  CHECK(basins[0].used_heads == 2);
  CHECK(basins[1].starts == std::vector<std::uint32_t>{0, 2});
  CHECK(basins[2].starts == std::vector<std::uint32_t>{4});
}
