// Backwards the SDK derives from a templated forward (reverse mode over a
// recorded evaluation), against the built-in softmax's analytic backward and
// the closed-form temperature gradient; check-plugin's verdict on a forward
// whose derivative is cut; and the derivation of Jacobians of every shape
// against closed forms.
#include "test_support.hpp"

#include <attnlab/framework/checks/activation_checker.hpp>
#include <attnlab/framework/common/random.hpp>
#include <attnlab/sdk/activation.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <span>
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
  // H * L = 3 * 7 = 21 inputs plus beta, with masked heads among them.
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
  const Gradients derived_gradients = backward(derived, shape, scores, grad_weights, mask);
  const Gradients by_hand = backward(analytic, shape, scores, grad_weights, mask);
  CHECK(max_abs_difference(derived_gradients.scores, by_hand.scores) < 1e-12);

  // dL/dbeta at beta = 1 is <s, u> with u the unit-temperature score
  // gradient, summed over the batch: an independent closed form.
  double expected_beta = 0.0;
  for (std::size_t i = 0; i < scores.size(); ++i) expected_beta += scores[i] * by_hand.scores[i];
  REQUIRE(derived_gradients.parameters.size() == 1);
  CHECK_THAT(derived_gradients.parameters[0], Catch::Matchers::WithinAbs(expected_beta, 1e-12));
  CHECK(std::fabs(expected_beta) > 1e-3);  // a zero gradient would pass trivially

  for (std::size_t i = 0; i < scores.size(); ++i) {
    const std::size_t head = i / shape.length % shape.heads;
    if (!mask.empty() && mask[head] == 0) CHECK(derived_gradients.scores[i] == 0.0);
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

  const Gradients derived_gradients = backward(derived, shape, scores, grad_weights, {});
  const Gradients unit = backward(analytic, shape, scaled, grad_weights, {});
  double expected_beta = 0.0;
  Buffer expected_scores(shape.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    expected_scores[i] = beta * unit.scores[i];
    expected_beta += scores[i] * unit.scores[i];
  }
  CHECK(max_abs_difference(derived_gradients.scores, expected_scores) < 1e-12);
  CHECK_THAT(derived_gradients.parameters[0], Catch::Matchers::WithinAbs(expected_beta, 1e-12));
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

// ---- the reverse-mode derivation (attnlab::detail::DerivedBackward) -----
// In-process classes with Jacobians of each shape (per head, per element,
// all heads coupled) and outputs that are inputs, constants or one shared
// node, each compared with a closed form.
namespace {

using attnlab::detail::DerivedBackward;

// Per-head softmax(beta * s), beta learnable: a block-diagonal Jacobian.
class HeadSoftmax {
 public:
  template <class T>
  void forward(attnlab::Scores<T> scores, const attnlab::HeadMask& mask, attnlab::Weights<T> weights,
               std::span<const T> parameters) const {
    using namespace attnlab::math;
    const T& beta = parameters[0];
    for (Eigen::Index h = 0; h < scores.rows(); ++h) {
      if (!mask.active(static_cast<std::uint32_t>(h))) {
        weights.row(h).setZero();
        continue;
      }
      T shift = beta * scores(h, 0);
      for (Eigen::Index l = 1; l < scores.cols(); ++l) shift = max(shift, beta * scores(h, l));
      T total = 0.0;
      for (Eigen::Index l = 0; l < scores.cols(); ++l) {
        weights(h, l) = exp(beta * scores(h, l) - shift);
        total += weights(h, l);
      }
      weights.row(h) /= total;
    }
  }
  std::span<double> parameters() { return {&beta, 1}; }
  double beta = 1.0;
};

// 1 + erf(c + s) per entry, c learnable: a diagonal Jacobian.
class ErfGate {
 public:
  template <class T>
  void forward(attnlab::Scores<T> scores, const attnlab::HeadMask& mask, attnlab::Weights<T> weights,
               std::span<const T> parameters) const {
    using namespace attnlab::math;
    for (Eigen::Index h = 0; h < scores.rows(); ++h) {
      for (Eigen::Index l = 0; l < scores.cols(); ++l) {
        weights(h, l) = mask.active(static_cast<std::uint32_t>(h)) ? 1.0 + erf(parameters[0] + scores(h, l)) : T(0.0);
      }
    }
  }
  std::span<double> parameters() { return {&c, 1}; }
  double c = 0.3;
};

// One softmax over all active heads and tokens: couples the heads.
class JointSoftmax {
 public:
  template <class T>
  void forward(attnlab::Scores<T> scores, const attnlab::HeadMask& mask, attnlab::Weights<T> weights) const {
    using namespace attnlab::math;
    T total = 0.0;
    for (Eigen::Index h = 0; h < scores.rows(); ++h) {
      for (Eigen::Index l = 0; l < scores.cols(); ++l) {
        weights(h, l) = mask.active(static_cast<std::uint32_t>(h)) ? exp(scores(h, l)) : T(0.0);
        total += weights(h, l);
      }
    }
    weights /= total;
  }
};

struct Derived {
  Buffer scores;
  Buffer parameters;
};

template <class Author>
Derived derive(DerivedBackward& derived, Author& author, int heads, int length, const Buffer& scores,
               const Buffer& grad_weights, const Mask& mask = {}) {
  Derived out{Buffer(scores.size(), -7.0), Buffer(attnlab::detail::learnable_parameters(author).size(), 0.0)};
  const attnlab::HeadMask head_mask(mask.empty() ? nullptr : mask.data(), static_cast<std::uint32_t>(heads));
  derived.sample(author, attnlab::ConstMatrixMap(scores.data(), heads, length), head_mask,
                 attnlab::ConstMatrixMap(grad_weights.data(), heads, length),
                 attnlab::MatrixMap(out.scores.data(), heads, length),
                 attnlab::VectorMap(out.parameters.data(), static_cast<Eigen::Index>(out.parameters.size())));
  return out;
}

}  // namespace

TEST_CASE("derivation: a per-head softmax with a learnable temperature equals the closed form", "[derived][tape]") {
  const Mask mask = GENERATE(Mask{}, Mask{1, 0, 1, 1}, Mask{0, 0, 0, 1});
  const int heads = 4;
  const int length = GENERATE(1, 5, 16, 23);
  INFO("L = " << length << ", mask of " << mask.size() << " heads");
  HeadSoftmax author;
  author.beta = 0.7;
  Rng rng(41);
  const Buffer scores = random_buffer(rng, static_cast<std::size_t>(heads * length), 2.0);
  const Buffer grad_weights = random_buffer(rng, scores.size(), 1.0);

  DerivedBackward derived;
  const Derived got = derive(derived, author, heads, length, scores, grad_weights, mask);

  // Closed form: with w = softmax(beta s_h), u = w (g - <g, w>) per head,
  // dL/ds = beta u and dL/dbeta = <s, u>.
  Buffer expected(scores.size(), 0.0);
  double expected_beta = 0.0;
  for (int h = 0; h < heads; ++h) {
    if (!mask.empty() && mask[static_cast<std::size_t>(h)] == 0) continue;
    const auto at = [&](int l) { return static_cast<std::size_t>(h * length + l); };
    double top = -1e300;
    for (int l = 0; l < length; ++l) top = std::max(top, author.beta * scores[at(l)]);
    std::vector<double> w(static_cast<std::size_t>(length));
    double total = 0.0;
    for (int l = 0; l < length; ++l)
      total += w[static_cast<std::size_t>(l)] = std::exp(author.beta * scores[at(l)] - top);
    double dot = 0.0;
    for (int l = 0; l < length; ++l) dot += grad_weights[at(l)] * (w[static_cast<std::size_t>(l)] /= total);
    for (int l = 0; l < length; ++l) {
      const double u = w[static_cast<std::size_t>(l)] * (grad_weights[at(l)] - dot);
      expected[at(l)] = author.beta * u;
      expected_beta += scores[at(l)] * u;
    }
  }
  CHECK(max_abs_difference(got.scores, expected) < 1e-12);
  CHECK_THAT(got.parameters[0], Catch::Matchers::WithinAbs(expected_beta, 1e-12));
}

TEST_CASE("derivation: an elementwise activation equals the closed form", "[derived][tape]") {
  const Mask mask = GENERATE(Mask{}, Mask{1, 0, 1});
  ErfGate author;
  Rng rng(43);
  const int heads = 3;
  const int length = 11;
  const Buffer scores = random_buffer(rng, heads * length, 1.5);
  const Buffer grad_weights = random_buffer(rng, scores.size(), 1.0);
  DerivedBackward derived;
  const Derived got = derive(derived, author, heads, length, scores, grad_weights, mask);
  double expected_c = 0.0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const bool active = mask.empty() || mask[i / length] != 0;
    const double x = author.c + scores[i];
    const double expected = active ? grad_weights[i] * 2.0 * std::numbers::inv_sqrtpi * std::exp(-x * x) : 0.0;
    CHECK_THAT(got.scores[i], Catch::Matchers::WithinAbs(expected, 1e-12));
    expected_c += expected;
  }
  CHECK_THAT(got.parameters[0], Catch::Matchers::WithinAbs(expected_c, 1e-12));
}

TEST_CASE("derivation: a softmax coupling all heads equals the closed form", "[derived][tape]") {
  const Mask mask = GENERATE(Mask{}, Mask{1, 1, 0});
  JointSoftmax author;
  Rng rng(47);
  const int heads = 3;
  const int length = 6;
  const Buffer scores = random_buffer(rng, heads * length, 1.0);
  const Buffer grad_weights = random_buffer(rng, scores.size(), 1.0);
  DerivedBackward derived;
  const Derived got = derive(derived, author, heads, length, scores, grad_weights, mask);
  // Closed form: dL/ds = w (g - <g, w>) over all active entries.
  std::vector<double> w(scores.size(), 0.0);
  double total = 0.0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (mask.empty() || mask[i / length] != 0) total += w[i] = std::exp(scores[i]);
  }
  double dot = 0.0;
  for (std::size_t i = 0; i < scores.size(); ++i) dot += grad_weights[i] * (w[i] /= total);
  for (std::size_t i = 0; i < scores.size(); ++i) {
    CHECK_THAT(got.scores[i], Catch::Matchers::WithinAbs(w[i] * (grad_weights[i] - dot), 1e-12));
  }
}

namespace {

// Head 0 passes its scores through, head 1 is a constant, every weight of
// head 2 is one node (the sum of head 2's scores): outputs that are inputs,
// constants and shared nodes.
class Passthrough {
 public:
  template <class T>
  void forward(attnlab::Scores<T> scores, const attnlab::HeadMask& /*mask*/, attnlab::Weights<T> weights) const {
    weights.row(0) = scores.row(0);
    weights.row(1).setConstant(T(0.5));
    const T total = scores.row(2).sum();
    weights.row(2).setConstant(total);
  }
};

}  // namespace

TEST_CASE("derivation: outputs that are inputs, constants or one shared node", "[derived][tape]") {
  Passthrough author;
  Rng rng(53);
  const int heads = 3;
  const int length = 4;
  const Buffer scores = random_buffer(rng, heads * length, 1.0);
  const Buffer grad_weights = random_buffer(rng, scores.size(), 1.0);
  DerivedBackward derived;
  const Derived got = derive(derived, author, heads, length, scores, grad_weights);
  double head2 = 0.0;
  for (int l = 0; l < length; ++l) head2 += grad_weights[static_cast<std::size_t>(2 * length + l)];
  for (int l = 0; l < length; ++l) {
    INFO("l = " << l);
    CHECK(got.scores[static_cast<std::size_t>(l)] == grad_weights[static_cast<std::size_t>(l)]);
    CHECK(got.scores[static_cast<std::size_t>(length + l)] == 0.0);
    CHECK_THAT(got.scores[static_cast<std::size_t>(2 * length + l)], Catch::Matchers::WithinAbs(head2, 1e-15));
  }
}

TEST_CASE("derivation: one instance over shapes and samples gives what a fresh one gives", "[derived][tape]") {
  // The tape and scratch matrices are reused: nothing of an earlier sample
  // (a longer tape, another shape) may leak into the next.
  HeadSoftmax author;
  author.beta = 1.3;
  Rng rng(59);
  DerivedBackward reused;
  for (const auto& [heads, length] : {std::pair{4, 16}, std::pair{2, 3}, std::pair{4, 16}, std::pair{1, 40}}) {
    INFO("H = " << heads << ", L = " << length);
    const Buffer scores = random_buffer(rng, static_cast<std::size_t>(heads * length), 3.0);
    const Buffer grad_weights = random_buffer(rng, scores.size(), 1.0);
    DerivedBackward fresh;
    const Derived expected = derive(fresh, author, heads, length, scores, grad_weights);
    const Derived got = derive(reused, author, heads, length, scores, grad_weights);
    CHECK(got.scores == expected.scores);
    CHECK(got.parameters == expected.parameters);
  }
}
