// Backwards the SDK derives from a templated forward (dual numbers), against
// the built-in softmax's analytic backward and the closed-form temperature
// gradient; and check-plugin's verdict on a forward whose derivative is cut.
#include "test_support.hpp"

#include <attnlab/framework/checks/activation_checker.hpp>
#include <attnlab/framework/common/random.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using attnlab::Activation;
using attnlab::PluginLibrary;
using attnlab::Rng;
using attnlab::ScoreShape;
using attnlab::test::Buffer;
using attnlab::test::forward;
using attnlab::test::Mask;
using attnlab::test::random_buffer;
using Catch::Matchers::Contains;

namespace {

struct Gradients {
  Buffer scores;
  Buffer parameters;
};

Gradients backward(Activation& a, ScoreShape shape, const Buffer& scores, const Buffer& grad_weights,
                   const Mask& mask) {
  const Buffer weights = forward(a, shape, scores, mask);
  Gradients g{Buffer(shape.size()), Buffer(a.parameter_count())};
  a.backward(shape, scores, weights, mask, grad_weights, g.scores, g.parameters);
  return g;
}

double max_abs_difference(const Buffer& x, const Buffer& y) {
  double worst = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(x[i] - y[i]));
  return worst;
}

}  // namespace

TEST_CASE("forward-only softmax: derived backward equals the built-in analytic one to 1e-12", "[derived][backward]") {
  // H * L = 3 * 7 = 21 inputs plus beta: three dual passes of 8 lanes, the
  // last one partly filled, so lane bookkeeping across passes is exercised.
  const Mask mask = GENERATE(Mask{}, Mask{1, 0, 1}, Mask{0, 0, 1});
  INFO("mask of " << mask.size() << " heads");
  Activation derived(PluginLibrary::load(attnlab::test::good_fixture("fixture-forward-only")));
  Activation analytic(attnlab::test::builtin_plugin("softmax"));
  REQUIRE((derived.plugin().capabilities() & ATTNLAB_CAP_DERIVED_BACKWARD) != 0);
  REQUIRE((analytic.plugin().capabilities() & ATTNLAB_CAP_ANALYTIC_BACKWARD) != 0);

  Rng rng(31);
  const ScoreShape shape{4, 3, 7};
  const Buffer scores = random_buffer(rng, shape.size(), 2.0);
  const Buffer grad_weights = random_buffer(rng, shape.size(), 1.0);

  CHECK(max_abs_difference(forward(derived, shape, scores, mask), forward(analytic, shape, scores, mask)) < 1e-15);
  const Gradients from_duals = backward(derived, shape, scores, grad_weights, mask);
  const Gradients by_hand = backward(analytic, shape, scores, grad_weights, mask);
  CHECK(max_abs_difference(from_duals.scores, by_hand.scores) < 1e-12);

  // dL/dbeta at beta = 1 is <s, u> with u the unit-temperature score
  // gradient, summed over the batch: an independent closed form.
  double expected_beta = 0.0;
  for (std::size_t i = 0; i < scores.size(); ++i) expected_beta += scores[i] * by_hand.scores[i];
  REQUIRE(from_duals.parameters.size() == 1);
  CHECK_THAT(from_duals.parameters[0], Catch::Matchers::WithinAbs(expected_beta, 1e-12));
  CHECK(std::fabs(expected_beta) > 1e-3);  // a zero gradient would pass trivially

  for (std::size_t i = 0; i < scores.size(); ++i) {
    const std::size_t head = i / shape.length % shape.heads;
    if (!mask.empty() && mask[head] == 0) CHECK(from_duals.scores[i] == 0.0);
  }
}

TEST_CASE("forward-only softmax: the temperature gradient scales with beta as the closed form says",
          "[derived][backward]") {
  // At beta the score gradient is beta * u(beta * s) and dL/dbeta = <s, u(beta * s)>,
  // where u(.) is the analytic unit-temperature backward at scaled scores.
  const double beta = 0.35;
  Activation derived(PluginLibrary::load(attnlab::test::good_fixture("fixture-forward-only")),
                     "beta = " + std::to_string(beta));
  Activation analytic(attnlab::test::builtin_plugin("softmax"));
  Rng rng(37);
  const ScoreShape shape{2, 2, 9};
  const Buffer scores = random_buffer(rng, shape.size(), 1.5);
  const Buffer grad_weights = random_buffer(rng, shape.size(), 1.0);
  Buffer scaled = scores;
  for (double& s : scaled) s *= beta;

  const Gradients from_duals = backward(derived, shape, scores, grad_weights, {});
  const Gradients unit = backward(analytic, shape, scaled, grad_weights, {});
  double expected_beta = 0.0;
  Buffer expected_scores(shape.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    expected_scores[i] = beta * unit.scores[i];
    expected_beta += scores[i] * unit.scores[i];
  }
  CHECK(max_abs_difference(from_duals.scores, expected_scores) < 1e-12);
  CHECK_THAT(from_duals.parameters[0], Catch::Matchers::WithinAbs(expected_beta, 1e-12));
}

TEST_CASE("check-plugin: a forward-only plugin passes and a cut derivative fails the backward checks",
          "[derived][checker]") {
  attnlab::ActivationCheckOptions options;
  for (const auto& r :
       attnlab::check_activation(PluginLibrary::load(attnlab::test::good_fixture("fixture-forward-only")), options)) {
    INFO(r.name << ": " << r.detail);
    CHECK(r.passed);
  }

  std::vector<std::string> failed;
  std::string backward_detail;
  for (const auto& r :
       attnlab::check_activation(PluginLibrary::load(attnlab::test::bad_fixture("fixture-detached")), options)) {
    if (!r.passed) failed.push_back(r.name);
    if (r.name == "backward") backward_detail = r.detail;
  }
  // The forward itself is right, so only the gradient checks can catch it.
  CHECK(failed == std::vector<std::string>{"backward", "backward-parameters"});
  CHECK_THAT(backward_detail, Contains("central difference") && Contains("bound 1.00e-06"));
}
