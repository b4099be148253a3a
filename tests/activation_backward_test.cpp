// Backward of the activations against this file's own central differences
// and against the closed-form softmax Jacobian.
#include "test_support.hpp"

#include <attnlab/framework/common/random.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

using attnlab::Activation;
using attnlab::Rng;
using attnlab::ScoreShape;
using attnlab::test::Buffer;
using attnlab::test::builtin_plugin;
using attnlab::test::forward;
using attnlab::test::Mask;
using attnlab::test::random_buffer;

namespace {

// Probe loss L(s) = <G, act(s)>, whose score gradient is backward(G).
double probe_loss(Activation& a, ScoreShape shape, const Buffer& scores, const Buffer& grad_weights, const Mask& mask) {
  const Buffer weights = forward(a, shape, scores, mask);
  double loss = 0.0;
  for (std::size_t i = 0; i < weights.size(); ++i) loss += grad_weights[i] * weights[i];
  return loss;
}

// Central differences (L(s + h e_i) - L(s - h e_i)) / 2h. Error: truncation
// h^2/6 |L'''| ~ 1e-11 for O(1) scores and h = 1e-5, plus rounding
// ~ eps |L| / h ~ 1e-11. A tolerance of 1e-8 is 1000 times that, and still
// far below the O(0.1) error of a gradient with a missing term.
constexpr double kStep = 1e-5;
constexpr double kGradientTolerance = 1e-8;

Buffer central_difference(Activation& a, ScoreShape shape, Buffer scores, const Buffer& grad_weights,
                          const Mask& mask) {
  Buffer numeric(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const double saved = scores[i];
    scores[i] = saved + kStep;
    const double plus = probe_loss(a, shape, scores, grad_weights, mask);
    scores[i] = saved - kStep;
    const double minus = probe_loss(a, shape, scores, grad_weights, mask);
    scores[i] = saved;
    numeric[i] = (plus - minus) / (2.0 * kStep);
  }
  return numeric;
}

Buffer score_gradient(Activation& a, ScoreShape shape, const Buffer& scores, const Buffer& grad_weights,
                      const Mask& mask, Buffer* grad_parameters = nullptr) {
  const Buffer weights = forward(a, shape, scores, mask);
  Buffer grad_scores(shape.size());
  Buffer params(a.parameter_count());
  a.backward(shape, scores, weights, mask, grad_weights, grad_scores, params);
  if (grad_parameters != nullptr) *grad_parameters = params;
  return grad_scores;
}

}  // namespace

TEST_CASE("built-in backward matches central differences", "[builtin][backward]") {
  const std::string id = GENERATE("softmax", "softmax1", "bayes-softmax");
  const Mask mask = GENERATE(Mask{}, Mask{1, 0, 1}, Mask{0, 0, 1});
  INFO(id << ", mask of " << mask.size() << " heads");
  Activation activation(builtin_plugin(id));
  Rng rng(17);
  const ScoreShape shape{2, 3, 4};
  const Buffer scores = random_buffer(rng, shape.size(), 1.5);
  const Buffer grad_weights = random_buffer(rng, shape.size(), 1.0);

  const Buffer analytic = score_gradient(activation, shape, scores, grad_weights, mask);
  const Buffer numeric = central_difference(activation, shape, scores, grad_weights, mask);
  CHECK_THAT(analytic, Catch::Matchers::Approx(numeric).margin(kGradientTolerance));
  for (std::size_t i = 0; i < analytic.size(); ++i) {
    const std::size_t head = i / shape.length % shape.heads;
    if (!mask.empty() && mask[head] == 0) CHECK(analytic[i] == 0.0);
  }
}

TEST_CASE("softmax-family backward is the closed-form Jacobian diag(a) - a a^T", "[builtin][backward]") {
  // Within one normalization set (a head; all of a sample for Bayes-softmax)
  // da_i/ds_j = a_i (delta_ij - a_j); across sets it is 0. backward(e_j)
  // returns row j of the Jacobian's transpose, i.e. column j.
  const std::string id = GENERATE("softmax", "softmax1", "bayes-softmax");
  INFO(id);
  const bool joint = id == "bayes-softmax";
  Activation activation(builtin_plugin(id));
  Rng rng(23);
  const ScoreShape shape{1, 2, 3};
  const Buffer scores = random_buffer(rng, shape.size(), 1.0);
  const Buffer a = forward(activation, shape, scores);
  const auto same_set = [&](std::size_t i, std::size_t j) { return joint || i / shape.length == j / shape.length; };

  for (std::size_t j = 0; j < shape.size(); ++j) {
    Buffer unit(shape.size(), 0.0);
    unit[j] = 1.0;
    const Buffer column = score_gradient(activation, shape, scores, unit, {});
    Buffer expected(shape.size(), 0.0);
    for (std::size_t i = 0; i < shape.size(); ++i) {
      if (same_set(i, j)) expected[i] = (i == j ? a[i] : 0.0) - a[i] * a[j];
    }
    // Both sides are one or two products of numbers <= 1: a few roundings.
    CHECK_THAT(column, Catch::Matchers::Approx(expected).margin(1e-15));
  }
}

TEST_CASE("fixture-good: score and parameter gradients match central differences", "[fixture][backward]") {
  Activation activation(attnlab::PluginLibrary::load(attnlab::test::good_fixture("fixture-good")), "beta = 1.7");
  REQUIRE(activation.parameters() == Buffer{1.7});
  Rng rng(29);
  const ScoreShape shape{3, 2, 4};
  const Buffer scores = random_buffer(rng, shape.size(), 1.0);
  const Buffer grad_weights = random_buffer(rng, shape.size(), 1.0);
  const Mask mask = GENERATE(Mask{}, Mask{0, 1});

  Buffer grad_beta;
  const Buffer analytic = score_gradient(activation, shape, scores, grad_weights, mask, &grad_beta);
  CHECK_THAT(analytic, Catch::Matchers::Approx(central_difference(activation, shape, scores, grad_weights, mask))
                           .margin(kGradientTolerance));

  const auto loss_at = [&](double beta) {
    activation.set_parameters(Buffer{beta});
    return probe_loss(activation, shape, scores, grad_weights, mask);
  };
  const double numeric_beta = (loss_at(1.7 + kStep) - loss_at(1.7 - kStep)) / (2.0 * kStep);
  activation.set_parameters(Buffer{1.7});
  REQUIRE(grad_beta.size() == 1);
  CHECK_THAT(grad_beta[0], Catch::Matchers::WithinAbs(numeric_beta, kGradientTolerance));
  CHECK(std::fabs(grad_beta[0]) > 1e-3);  // a zero gradient would pass trivially
}
