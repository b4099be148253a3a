// Forward of the built-in activations, loaded as real shared libraries:
// closed forms, invariances, numerical stability and head masks.
#include "test_support.hpp"

#include <attnlab/framework/common/random.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using attnlab::Activation;
using attnlab::Rng;
using attnlab::ScoreShape;
using attnlab::test::Buffer;
using attnlab::test::builtin_plugin;
using attnlab::test::forward;
using attnlab::test::Mask;
using Catch::Matchers::Approx;

namespace {

// exp and log are correct to about 1 ulp (1.1e-16 relative), and the
// normalization adds a few roundings more, so an exact formula lands within
// ~1e-15 of the closed form; any formula error is O(1e-2) or larger.
constexpr double kRoundoff = 1e-14;

double sum(const Buffer& values, std::size_t begin, std::size_t end) {
  double total = 0.0;
  for (std::size_t i = begin; i < end; ++i) total += values[i];
  return total;
}

}  // namespace

TEST_CASE("built-ins declare their normalization and carry no parameters", "[builtin]") {
  Activation softmax(builtin_plugin("softmax"));
  Activation softmax1(builtin_plugin("softmax1"));
  Activation bayes(builtin_plugin("bayes-softmax"));
  CHECK(softmax.normalization() == ATTNLAB_NORM_PER_HEAD_SUM_ONE);
  CHECK(softmax1.normalization() == ATTNLAB_NORM_PER_HEAD_SUM_AT_MOST_ONE);
  CHECK(bayes.normalization() == ATTNLAB_NORM_JOINT_SUM_ONE);
  for (Activation* a : {&softmax, &softmax1, &bayes}) {
    CHECK(a->parameter_count() == 0);
    CHECK((a->plugin().capabilities() & ATTNLAB_CAP_ANALYTIC_BACKWARD) != 0);
  }
}

TEST_CASE("softmax: closed form, per head", "[builtin][softmax]") {
  Activation softmax(builtin_plugin("softmax"));
  const double ln2 = std::log(2.0);
  const double ln3 = std::log(3.0);
  // Two samples of two heads; each head is normalized on its own.
  const Buffer weights = forward(softmax, {2, 2, 3}, {0, ln2, ln3, /**/ ln3, ln2, 0, /**/ 5, 5, 5, /**/ 0, 0, ln2});
  CHECK_THAT(weights, Approx(Buffer{1. / 6, 2. / 6, 3. / 6, /**/ 3. / 6, 2. / 6, 1. / 6, /**/ 1. / 3, 1. / 3, 1. / 3,
                                    /**/ 1. / 4, 1. / 4, 2. / 4})
                          .epsilon(kRoundoff));
}

TEST_CASE("softmax is shift invariant per head", "[builtin][softmax]") {
  Activation softmax(builtin_plugin("softmax"));
  Rng rng(1);
  const ScoreShape shape{2, 3, 5};
  Buffer scores = attnlab::test::random_buffer(rng, shape.size(), 2.0);
  const Buffer before = forward(softmax, shape, scores);
  // A different shift for every head of every sample.
  for (std::size_t i = 0; i < scores.size(); ++i) scores[i] += 10.0 * static_cast<double>(i / shape.length) - 20.0;
  const Buffer after = forward(softmax, shape, scores);
  // Adding shifts up to 50 rounds each score by up to ulp(50)/2 = 3.6e-15,
  // which moves each weight (<= 1) by about twice that.
  CHECK_THAT(after, Approx(before).margin(1e-13));
}

TEST_CASE("softmax heads do not interact", "[builtin][softmax]") {
  Activation softmax(builtin_plugin("softmax"));
  Rng rng(2);
  const ScoreShape shape{1, 2, 4};
  Buffer scores = attnlab::test::random_buffer(rng, shape.size(), 1.0);
  const Buffer before = forward(softmax, shape, scores);
  for (std::size_t l = 4; l < 8; ++l) scores[l] += 3.0 * static_cast<double>(l);  // head 1 only
  const Buffer after = forward(softmax, shape, scores);
  for (std::size_t l = 0; l < 4; ++l) CHECK(after[l] == before[l]);
}

TEST_CASE("softmax-1: closed form, and not shift invariant", "[builtin][softmax1]") {
  Activation softmax1(builtin_plugin("softmax1"));
  const double ln2 = std::log(2.0);
  // exp(s) / (1 + sum exp(s)): [1, 2] / (1 + 3), then [2, 4] / (1 + 6).
  const Buffer weights = forward(softmax1, {1, 1, 2}, {0, ln2});
  CHECK_THAT(weights, Approx(Buffer{1. / 4, 2. / 4}).epsilon(kRoundoff));
  const Buffer shifted = forward(softmax1, {1, 1, 2}, {ln2, 2 * ln2});
  CHECK_THAT(shifted, Approx(Buffer{2. / 7, 4. / 7}).epsilon(kRoundoff));
  CHECK(std::fabs(sum(shifted, 0, 2) - sum(weights, 0, 2)) > 0.1);  // 6/7 vs 3/4
}

TEST_CASE("softmax-1 is stable for extreme scores", "[builtin][softmax1]") {
  Activation softmax1(builtin_plugin("softmax1"));
  const ScoreShape shape{1, 1, 6};

  SECTION("all scores -1e3: the head goes quiet") {
    const Buffer weights = forward(softmax1, shape, Buffer(shape.size(), -1e3));
    // The exact total, 6 e^-1000 ~ 1e-434, is below the smallest double.
    for (const double w : weights) {
      CHECK(std::isfinite(w));
      CHECK(w >= 0.0);
    }
    CHECK(sum(weights, 0, 6) < 1e-300);
  }
  SECTION("all scores +1e3: the null token no longer counts, 1/L each") {
    const Buffer weights = forward(softmax1, shape, Buffer(shape.size(), 1e3));
    // Exact value 1 / (6 + e^-1000): 1/6 to every digit a double has.
    CHECK_THAT(weights, Approx(Buffer(6, 1.0 / 6.0)).epsilon(kRoundoff));
  }
  SECTION("one token at +1e3 among -1e3 takes all the weight") {
    const Buffer weights = forward(softmax1, {1, 1, 3}, {-1e3, 1e3, -1e3});
    CHECK_THAT(weights, Approx(Buffer{0, 1, 0}).margin(kRoundoff));
  }
}

TEST_CASE("softmax-1 sums to at most 1 per head", "[builtin][softmax1]") {
  Activation softmax1(builtin_plugin("softmax1"));
  Rng rng(3);
  const ScoreShape shape{3, 4, 5};
  const Buffer weights = forward(softmax1, shape, attnlab::test::random_buffer(rng, shape.size(), 3.0));
  for (std::size_t row = 0; row < std::size_t{shape.batch} * shape.heads; ++row) {
    const double total = sum(weights, row * shape.length, (row + 1) * shape.length);
    CHECK(total > 0.0);
    CHECK(total < 1.0);
  }
  for (const double w : weights) CHECK(w >= 0.0);
}

TEST_CASE("Bayes-softmax: closed form over heads and tokens jointly", "[builtin][bayes]") {
  Activation bayes(builtin_plugin("bayes-softmax"));
  // [[0, ln2], [ln3, ln4]] -> [1, 2, 3, 4] / 10.
  const Buffer weights = forward(bayes, {1, 2, 2}, {0, std::log(2.0), std::log(3.0), std::log(4.0)});
  CHECK_THAT(weights, Approx(Buffer{0.1, 0.2, 0.3, 0.4}).epsilon(kRoundoff));
}

TEST_CASE("Bayes-softmax sums to 1 per sample, not per head", "[builtin][bayes]") {
  Activation bayes(builtin_plugin("bayes-softmax"));
  Rng rng(4);
  const ScoreShape shape{4, 3, 5};
  const Buffer weights = forward(bayes, shape, attnlab::test::random_buffer(rng, shape.size(), 2.0));
  const std::size_t per_sample = std::size_t{shape.heads} * shape.length;
  bool some_head_not_one = false;
  for (std::size_t b = 0; b < shape.batch; ++b) {
    // 15 terms, each with a relative rounding error of a few ulps.
    CHECK_THAT(sum(weights, b * per_sample, (b + 1) * per_sample), Catch::Matchers::WithinAbs(1.0, kRoundoff));
    const double head0 = sum(weights, b * per_sample, b * per_sample + shape.length);
    some_head_not_one = some_head_not_one || std::fabs(head0 - 1.0) > 1e-3;
  }
  CHECK(some_head_not_one);
}

TEST_CASE("Bayes-softmax couples the heads; softmax does not", "[builtin][bayes]") {
  Activation bayes(builtin_plugin("bayes-softmax"));
  Activation softmax(builtin_plugin("softmax"));
  const double ln2 = std::log(2.0);
  const Buffer base{0, ln2, std::log(3.0), std::log(4.0)};
  const Buffer raised{ln2, 2 * ln2, std::log(3.0), std::log(4.0)};  // head 0 scores + ln2
  // Head 0 becomes [2, 4], so head 1 drops from [3, 4] / 10 to [3, 4] / 13.
  const Buffer weights = forward(bayes, {1, 2, 2}, raised);
  CHECK_THAT(weights, Approx(Buffer{2. / 13, 4. / 13, 3. / 13, 4. / 13}).epsilon(kRoundoff));
  // Per-head softmax leaves head 1 alone.
  const Buffer per_head_before = forward(softmax, {1, 2, 2}, base);
  const Buffer per_head_after = forward(softmax, {1, 2, 2}, raised);
  CHECK_THAT(per_head_after[2], Catch::Matchers::WithinAbs(per_head_before[2], kRoundoff));
  CHECK_THAT(per_head_after[3], Catch::Matchers::WithinAbs(per_head_before[3], kRoundoff));
}

TEST_CASE("head masks: masked heads get exactly 0", "[builtin][mask]") {
  Rng rng(5);
  const ScoreShape shape{2, 3, 4};
  const Buffer scores = attnlab::test::random_buffer(rng, shape.size(), 2.0);
  const Mask mask{1, 0, 1};

  SECTION("per-head activations leave the other heads unchanged") {
    for (const char* id : {"softmax", "softmax1"}) {
      INFO(id);
      Activation activation(builtin_plugin(id));
      const Buffer full = forward(activation, shape, scores);
      const Buffer masked = forward(activation, shape, scores, mask);
      for (std::size_t i = 0; i < scores.size(); ++i) {
        const std::size_t head = i / shape.length % shape.heads;
        // Each head is computed from its own row alone: bit-identical.
        if (head == 1) CHECK(masked[i] == 0.0);
        if (head != 1) CHECK(masked[i] == full[i]);
      }
    }
  }
  SECTION("Bayes-softmax renormalizes over the remaining heads") {
    Activation bayes(builtin_plugin("bayes-softmax"));
    const Buffer weights = forward(bayes, {1, 2, 2}, {0, std::log(2.0), std::log(3.0), std::log(4.0)}, {0, 1});
    CHECK(weights[0] == 0.0);
    CHECK(weights[1] == 0.0);
    CHECK_THAT(weights, Approx(Buffer{0, 0, 3. / 7, 4. / 7}).epsilon(kRoundoff));
  }
  SECTION("every head masked: all weights 0, none NaN") {
    for (const char* id : {"softmax", "softmax1", "bayes-softmax"}) {
      INFO(id);
      Activation activation(builtin_plugin(id));
      const Buffer weights = forward(activation, shape, scores, {0, 0, 0});
      for (const double w : weights) CHECK(w == 0.0);
    }
  }
}
