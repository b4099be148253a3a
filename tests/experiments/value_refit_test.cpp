// The least-squares refit of the values against an independent closed form,
// its optimality (a perturbed optimum comes back; the error never rises),
// the shortcut of restricted normal equations against rebuilt ones, the
// refit pruning curve, and the counts built on it.
#include "test_plugins.hpp"

#include <attnlab/framework/analysis/head_roles.hpp>
#include <attnlab/framework/analysis/pruning.hpp>
#include <attnlab/framework/analysis/value_refit.hpp>
#include <attnlab/framework/common/random.hpp>

#include <Eigen/QR>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

namespace {

using attnlab::Learner;
using attnlab::LearnerShape;
using attnlab::TestSet;

// Gaussian tokens and labels (the refit needs no data model).
TestSet random_sample(std::uint32_t size, const LearnerShape& shape, std::uint64_t seed) {
  attnlab::Rng rng(seed);
  TestSet sample{size, shape.length, shape.dimension, {}, {}};
  sample.tokens.resize(std::size_t{size} * shape.length * shape.dimension);
  sample.labels.resize(size);
  rng.fill_normal(sample.tokens.data(), sample.tokens.size());
  rng.fill_normal(sample.labels.data(), sample.labels.size());
  return sample;
}

void randomize(Learner& learner, std::uint64_t seed) {
  attnlab::Rng rng(seed);
  rng.fill_normal(learner.keys_and_values().data(), static_cast<std::size_t>(learner.keys_and_values().size()));
  rng.fill_normal(learner.biases().data(), static_cast<std::size_t>(learner.biases().size()));
}

// Labels that the learner's own output explains up to small noise, so that
// errors are of order the noise and differences between heads show.
void teach(Learner& learner, TestSet& sample, std::uint32_t chunk, double noise, std::uint64_t seed) {
  std::vector<double> predictions(sample.size);
  const std::size_t per_sample = std::size_t{sample.length} * sample.dimension;
  for (std::uint32_t start = 0; start < sample.size; start += chunk) {
    const std::uint32_t count = std::min(chunk, sample.size - start);
    learner.predict(std::span<const double>(sample.tokens.data() + start * per_sample, count * per_sample), count,
                    std::span<double>(predictions.data() + start, count));
  }
  attnlab::Rng rng(seed);
  for (std::uint32_t b = 0; b < sample.size; ++b) sample.labels[b] = predictions[b] + noise * rng.normal();
}

}  // namespace

TEST_CASE("the refit values are the least-squares solution computed independently", "[refit]") {
  auto registry = attnlab::test::builtin_registry();
  const LearnerShape shape{2, 3, 2, true};
  constexpr std::uint32_t kSamples = 20;
  Learner learner(shape, attnlab::Activation(registry.get("softmax")), 8);
  randomize(learner, 3);
  const TestSet sample = random_sample(kSamples, shape, 5);

  // phi_b = [u_1, u_2], u_h = sum_l softmax_l(x_l . k_h / sqrt(3) + b_h) x_l / sqrt(3), by hand.
  const double scale = 1.0 / std::sqrt(3.0);
  Eigen::MatrixXd phi(kSamples, 6);
  Eigen::VectorXd y(kSamples);
  for (std::uint32_t b = 0; b < kSamples; ++b) {
    const Eigen::Map<const attnlab::RowMatrix> x(sample.tokens.data() + b * 6, 2, 3);
    for (int h = 0; h < 2; ++h) {
      Eigen::Vector2d scores;
      for (int l = 0; l < 2; ++l) scores[l] = x.row(l).dot(learner.keys().row(h)) * scale + learner.biases()[h];
      const Eigen::Vector2d a = (scores.array() - scores.maxCoeff()).exp().matrix();
      phi.block(b, 3 * h, 1, 3) = (a.transpose() / a.sum()) * x * scale;
    }
    y[b] = sample.labels[b];
  }
  const Eigen::VectorXd expected = phi.colPivHouseholderQr().solve(y);

  const double error = attnlab::refit_values(learner, sample, 8, 0.0);
  for (int h = 0; h < 2; ++h) {
    for (int i = 0; i < 3; ++i) CHECK(learner.values()(h, i) == Approx(expected[3 * h + i]).epsilon(1e-9));
  }
  CHECK(error == Approx((y - phi * expected).squaredNorm() / kSamples).epsilon(1e-9));
  CHECK(attnlab::test_error(learner, sample, 8) == Approx(error).epsilon(1e-9));  // the forward agrees
}

TEST_CASE("a refit within a basis is the least-squares solution over that span", "[refit]") {
  auto registry = attnlab::test::builtin_registry();
  const LearnerShape shape{2, 3, 2, true};
  constexpr std::uint32_t kSamples = 20;
  Learner learner(shape, attnlab::Activation(registry.get("softmax1")), 8);
  randomize(learner, 7);
  const TestSet sample = random_sample(kSamples, shape, 9);
  attnlab::RowMatrix directions(3, 3);  // the third row is the sum of the first two: rank 2
  directions << 1.0, 2.0, 0.0, 0.0, 1.0, -1.0, 1.0, 3.0, -1.0;
  const attnlab::RowMatrix basis = attnlab::orthonormal_basis(directions);
  REQUIRE(basis.rows() == 2);
  CHECK((basis * basis.transpose() - Eigen::MatrixXd::Identity(2, 2)).cwiseAbs().maxCoeff() < 1e-14);
  CHECK((directions - directions * basis.transpose() * basis).cwiseAbs().maxCoeff() < 1e-12);  // spans them

  // Coordinates c_h with v_h = B^T c_h: features B u_h, by hand (softmax-1: exp(s) / (1 + sum exp(s))).
  const double scale = 1.0 / std::sqrt(3.0);
  Eigen::MatrixXd phi(kSamples, 4);
  Eigen::VectorXd y(kSamples);
  for (std::uint32_t b = 0; b < kSamples; ++b) {
    const Eigen::Map<const attnlab::RowMatrix> x(sample.tokens.data() + b * 6, 2, 3);
    for (int h = 0; h < 2; ++h) {
      Eigen::Vector2d e;
      for (int l = 0; l < 2; ++l) e[l] = std::exp(x.row(l).dot(learner.keys().row(h)) * scale + learner.biases()[h]);
      const Eigen::RowVector3d u = (e.transpose() / (1.0 + e.sum())) * x * scale;
      phi.block(b, 2 * h, 1, 2) = (basis * u.transpose()).transpose();
    }
    y[b] = sample.labels[b];
  }
  const Eigen::VectorXd c = phi.colPivHouseholderQr().solve(y);
  const double error = attnlab::refit_values(learner, sample, 8, 0.0, basis);
  for (int h = 0; h < 2; ++h) {
    const Eigen::VectorXd expected = basis.transpose() * c.segment(2 * h, 2);
    for (int i = 0; i < 3; ++i) CHECK(learner.values()(h, i) == Approx(expected[i]).epsilon(1e-9).margin(1e-12));
  }
  CHECK(error == Approx((y - phi * c).squaredNorm() / kSamples).epsilon(1e-9));
  CHECK(attnlab::test_error(learner, sample, 8) == Approx(error).epsilon(1e-9));
}

TEST_CASE("a refit recovers the optimum from perturbed values and never raises the sample error", "[refit]") {
  auto registry = attnlab::test::builtin_registry();
  const LearnerShape shape{3, 6, 4, true};
  for (const std::string id : {"softmax", "softmax1", "bayes-softmax"}) {
    INFO(id);
    Learner learner(shape, attnlab::Activation(registry.get(id)), 32);
    randomize(learner, 11);
    TestSet sample = random_sample(300, shape, 13);
    teach(learner, sample, 32, 0.3, 17);
    attnlab::refit_values(learner, sample, 32);
    const attnlab::RowMatrix optimum = learner.values();
    const double optimal_error = attnlab::test_error(learner, sample, 32);

    attnlab::Rng rng(19);
    for (Eigen::Index i = 0; i < optimum.size(); ++i) {
      learner.keys_and_values().bottomRows(3).data()[i] += 0.5 * rng.normal();
    }
    const double perturbed_error = attnlab::test_error(learner, sample, 32);
    CHECK(perturbed_error > optimal_error);
    const double refit_error = attnlab::refit_values(learner, sample, 32);
    CHECK(refit_error <= perturbed_error);
    CHECK(refit_error == Approx(optimal_error).epsilon(1e-9));
    CHECK((learner.values() - optimum).cwiseAbs().maxCoeff() < 1e-7);
    // Keys and biases are not touched.
    Learner fresh(shape, attnlab::Activation(registry.get(id)), 32);
    randomize(fresh, 11);
    CHECK(learner.keys() == fresh.keys());
    CHECK(learner.biases() == fresh.biases());
  }
}

TEST_CASE("restricted normal equations equal rebuilt ones exactly where heads attend independently", "[refit]") {
  auto registry = attnlab::test::builtin_registry();
  const LearnerShape shape{3, 5, 4, true};
  const TestSet sample = random_sample(64, shape, 23);
  for (const std::string id : {"softmax", "softmax1", "bayes-softmax"}) {
    INFO(id);
    Learner learner(shape, attnlab::Activation(registry.get(id)), 16);
    randomize(learner, 29);
    const bool independent = attnlab::heads_attend_independently(learner, sample, 16);
    CHECK(independent == (id != "bayes-softmax"));
    CHECK(learner.head_mask().empty());
    const auto full = attnlab::value_normal_equations(learner, sample, 16);
    learner.set_head_mask({1, 0, 1});
    const auto rebuilt = attnlab::value_normal_equations(learner, sample, 16);
    const auto restricted = attnlab::restricted_equations(full, {0, 2});
    REQUIRE(rebuilt.heads == std::vector<std::uint32_t>{0, 2});
    const double gap = (rebuilt.gram - restricted.gram).cwiseAbs().maxCoeff();
    if (independent) {
      CHECK(gap <= 1e-12 * rebuilt.gram.cwiseAbs().maxCoeff());
      CHECK((rebuilt.moment - restricted.moment).cwiseAbs().maxCoeff() <= 1e-12 * rebuilt.moment.cwiseAbs().maxCoeff());
    } else {
      CHECK(gap > 1e-6);  // one normalization over all heads: removing a head changes the others
    }
  }
}

TEST_CASE("the refit pruning curve: consistent stages, restored learner, nested errors", "[refit][pruning]") {
  auto registry = attnlab::test::builtin_registry();
  const LearnerShape shape{4, 8, 4, true};
  for (const std::string id : {"softmax", "softmax1", "bayes-softmax"}) {
    INFO(id);
    Learner learner(shape, attnlab::Activation(registry.get(id)), 50);
    randomize(learner, 31);
    TestSet sample = random_sample(400, shape, 37);
    TestSet test = random_sample(200, shape, 41);
    teach(learner, sample, 50, 0.2, 43);
    teach(learner, test, 50, 0.2, 47);
    const attnlab::RowMatrix values = learner.values();
    const std::vector<unsigned char> mask = {1, 1, 0, 1};
    learner.set_head_mask(mask);
    const auto curve = attnlab::refit_pruning_curve(learner, test, sample, 50);
    CHECK(learner.head_mask() == mask);
    CHECK(learner.values() == values);
    REQUIRE(curve.test_error.size() == 4);
    REQUIRE(curve.sample_error.size() == 4);
    REQUIRE(curve.order.size() == 3);
    REQUIRE(curve.single_removal_error.size() == 4);
    REQUIRE(curve.output_mean_square.size() == 4);
    // k = 1 removed the head whose single removal scored this test error.
    CHECK(curve.single_removal_error[curve.order[0]] == curve.test_error[1]);
    // The head's output mean square, from its forward alone.
    for (std::uint32_t h = 0; h < 4; ++h) {
      std::vector<unsigned char> only(4, 0);
      only[h] = 1;
      if (id == "bayes-softmax") break;  // alone, its weights renormalize: not the same term
      learner.set_head_mask(only);
      TestSet zero_labels = sample;  // the error against 0 labels is the output's mean square
      std::fill(zero_labels.labels.begin(), zero_labels.labels.end(), 0.0);
      CHECK(curve.output_mean_square[h] == Approx(attnlab::test_error(learner, zero_labels, 50)).epsilon(1e-9));
    }
    learner.set_head_mask({});
    // The output mean squares are of the whole values, whatever the basis.
    const attnlab::RowMatrix basis = attnlab::orthonormal_basis(learner.keys());
    const auto in_basis = attnlab::refit_pruning_curve(learner, test, sample, 50, basis);
    for (std::uint32_t h = 0; h < 4; ++h) {
      CHECK(in_basis.output_mean_square[h] == Approx(curve.output_mean_square[h]).epsilon(1e-12));
    }
    CHECK(learner.values() == values);
    // Stage 0 is the full refit.
    Learner copy(shape, attnlab::Activation(registry.get(id)), 50);
    randomize(copy, 31);
    CHECK(curve.sample_error[0] == Approx(attnlab::refit_values(copy, sample, 50)).epsilon(1e-9));
    CHECK(curve.test_error[0] == Approx(attnlab::test_error(copy, test, 50)).epsilon(1e-9));
    if (id != "bayes-softmax") {
      // Independent heads: each stage refits on a subset of the features, so
      // the refit sample's error cannot fall as heads go.
      for (std::size_t k = 1; k < 4; ++k) CHECK(curve.sample_error[k] >= curve.sample_error[k - 1] - 1e-12);
    }
  }
}

TEST_CASE("prunable heads: the largest k within the tolerance, on the error or on the excess", "[pruning]") {
  const std::vector<double> errors = {1.0, 1.005, 1.03, 1.015, 1.2};
  CHECK(attnlab::prunable_heads(errors, 1.0, 0.01) == 1);
  CHECK(attnlab::prunable_heads(errors, 1.0, 0.02) == 3);  // not a prefix rule: k = 2 fails, k = 3 holds
  CHECK(attnlab::prunable_heads(errors, 1.0, 0.05) == 3);
  CHECK(attnlab::prunable_heads(errors, 1.0, 0.25) == 4);
  CHECK(attnlab::prunable_heads(errors, 1.0, 0.0) == 0);
  // Excess over a floor of 0.9: 0.1 * 1.05 allows errors up to 1.005.
  CHECK(attnlab::prunable_heads(errors, 1.0, 0.05, 0.9) == 1);
  CHECK(attnlab::prunable_heads(errors, 1.0, 0.04, 0.9) == 0);
}

TEST_CASE("heads the prior needs and the roles of heads", "[pruning]") {
  CHECK(attnlab::heads_the_prior_needs({0.0, 0.0, 1.5}, {2.0, 1.0, 0.0}) == 5);
  CHECK(attnlab::heads_the_prior_needs({0.0, -1.0}, {0.0, 3.0}) == 1);
  CHECK(attnlab::heads_the_prior_needs({}, {}) == 0);

  attnlab::RefitPruningCurve curve;
  curve.label_mean_square = 2.0;
  curve.output_mean_square = {1.0, 1e-5, 0.5, 0.3};       // head 2 under 1e-4 * 2: unused
  curve.single_removal_error = {1.5, 1.0, 1.009, 1.011};  // full error 1.0, tolerance 1%
  const auto roles = attnlab::classify_heads(curve, 1.0, 0.01);
  CHECK(roles.unused == std::vector<unsigned char>{0, 1, 0, 0});
  CHECK(roles.redundant == std::vector<unsigned char>{0, 0, 1, 0});
  CHECK(roles.unused_count == 1);
  CHECK(roles.redundant_count == 1);
}
