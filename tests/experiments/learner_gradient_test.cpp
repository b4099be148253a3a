// The learner's gradient (keys, values, biases, activation parameters)
// against central finite differences of its own loss, for each built-in
// activation loaded as a real plugin.
#include "test_plugins.hpp"

#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/training/learner.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

namespace {

using attnlab::Learner;

struct Batch {
  std::vector<double> tokens;
  std::vector<double> labels;
};

Batch random_batch(attnlab::Rng& rng, std::uint32_t batch, std::uint32_t length, std::uint32_t dimension) {
  Batch b{std::vector<double>(std::size_t{batch} * length * dimension), std::vector<double>(batch)};
  rng.fill_normal(b.tokens.data(), b.tokens.size());
  rng.fill_normal(b.labels.data(), b.labels.size());
  return b;
}

// Loss at the learner's current parameters (gradients are recomputed too,
// which is harmless here).
double loss_at(Learner& learner, const Batch& b, std::uint32_t batch) {
  return learner.train_batch(b.tokens, b.labels, batch);
}

// Max |analytic - numeric| / max(|numeric|, 1e-3) over every parameter of
// every group. Central differences with step 1e-6 on O(1) quantities have
// truncation error ~1e-12 and rounding error ~1e-10, so 1e-6 separates a
// correct gradient from a wrong one (which is off by O(1)).
double gradient_error(Learner& learner, const Batch& b, std::uint32_t batch) {
  constexpr double kStep = 1e-6;
  loss_at(learner, b, batch);
  std::vector<std::vector<double>> analytic;
  for (const auto& group : learner.parameter_groups()) {
    const std::size_t n = std::size_t{group.vectors} * group.length;
    analytic.emplace_back(group.gradients, group.gradients + n);
  }
  double worst = 0.0;
  double scale = 1e-3;
  std::size_t g = 0;
  for (auto& group : learner.parameter_groups()) {
    const std::size_t n = std::size_t{group.vectors} * group.length;
    for (std::size_t i = 0; i < n; ++i) {
      const double saved = group.values[i];
      group.values[i] = saved + kStep;
      const double plus = loss_at(learner, b, batch);
      group.values[i] = saved - kStep;
      const double minus = loss_at(learner, b, batch);
      group.values[i] = saved;
      const double numeric = (plus - minus) / (2 * kStep);
      worst = std::max(worst, std::fabs(analytic[g][i] - numeric));
      scale = std::max(scale, std::fabs(numeric));
    }
    ++g;
  }
  return worst / scale;
}

}  // namespace

TEST_CASE("learner gradient matches central differences for every built-in activation", "[learner]") {
  const std::uint32_t heads = 3, dimension = 7, length = 5, batch = 4;
  for (const char* id : {"softmax", "softmax1", "bayes-softmax"}) {
    SECTION(id) {
      auto registry = attnlab::test::builtin_registry();
      Learner learner({heads, dimension, length, true},
                      attnlab::Activation(registry.get(id, attnlab::PluginKind::Activation)), batch);
      attnlab::Rng rng(42);
      rng.fill_normal(learner.keys_and_values().data(), static_cast<std::size_t>(learner.keys_and_values().size()));
      rng.fill_normal(learner.biases().data(), heads);
      const Batch b = random_batch(rng, batch, length, dimension);
      CHECK(gradient_error(learner, b, batch) < 1e-6);

      // With a head masked, its parameters get exactly zero gradient and the
      // rest still match finite differences.
      learner.set_head_mask({1, 0, 1});
      CHECK(gradient_error(learner, b, batch) < 1e-6);
      learner.train_batch(b.tokens, b.labels, batch);
      const auto groups = learner.parameter_groups();
      for (std::uint32_t d = 0; d < dimension; ++d) {
        CHECK(groups[0].gradients[1 * dimension + d] == 0.0);  // key of head 1
        CHECK(groups[1].gradients[1 * dimension + d] == 0.0);  // value of head 1
      }
      CHECK(groups[2].gradients[1] == 0.0);  // bias of head 1
    }
  }
}

TEST_CASE("learner prediction matches a direct evaluation of the model", "[learner]") {
  // f(X) = sum_h sum_l softmax_l(x_l.k_h/sqrt(D) + b_h) x_l.v_h/sqrt(D),
  // written out with plain loops as an independent reference.
  const std::uint32_t heads = 2, dimension = 5, length = 4, batch = 3;
  auto registry = attnlab::test::builtin_registry();
  Learner learner({heads, dimension, length, true},
                  attnlab::Activation(registry.get("softmax", attnlab::PluginKind::Activation)), batch);
  attnlab::Rng rng(7);
  rng.fill_normal(learner.keys_and_values().data(), static_cast<std::size_t>(learner.keys_and_values().size()));
  rng.fill_normal(learner.biases().data(), heads);
  const Batch b = random_batch(rng, batch, length, dimension);
  std::vector<double> predictions(batch);
  learner.predict(b.tokens, batch, predictions);
  const double root = std::sqrt(static_cast<double>(dimension));
  for (std::uint32_t s = 0; s < batch; ++s) {
    double expected = 0.0;
    for (std::uint32_t h = 0; h < heads; ++h) {
      std::vector<double> score(length), value(length);
      double total = 0.0;
      for (std::uint32_t l = 0; l < length; ++l) {
        double sk = 0.0, sv = 0.0;
        for (std::uint32_t d = 0; d < dimension; ++d) {
          const double x = b.tokens[(std::size_t{s} * length + l) * dimension + d];
          sk += x * learner.keys()(h, d);
          sv += x * learner.values()(h, d);
        }
        score[l] = std::exp(sk / root + learner.biases()[h]);
        value[l] = sv / root;
        total += score[l];
      }
      for (std::uint32_t l = 0; l < length; ++l) expected += score[l] / total * value[l];
    }
    CHECK(predictions[s] == Approx(expected).epsilon(1e-12));
  }
}
