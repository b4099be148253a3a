// single-location's high-dimensional limit (limit_sample): the teacher fields
// carry theta at the location eps and are N(0, 1) elsewhere, the label mean is
// the value field at eps, the noise variance delta^2, the locations are
// stratified, eps_i = (offset + i / 2) mod L with one uniform offset per call,
// and samples come in pairs whose second member flips the symmetric features.
#include "model_test_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

using namespace attnlab;
using namespace attnlab::model_tests;

namespace {

struct LimitDraw {
  std::vector<double> fields;  // count x L x (F + 1)
  std::vector<double> label_means;
  std::vector<double> noise_variances;
};

LimitDraw draw_limit(DataModel& model, Rng& rng, std::uint32_t count) {
  const std::size_t fields = std::size_t{count} * model.length() * (model.features() + std::size_t{1});
  LimitDraw out{std::vector<double>(fields), std::vector<double>(count), std::vector<double>(count)};
  model.limit_sample(rng, count, out.fields, out.label_means, out.noise_variances);
  return out;
}

// The token whose value field equals the label mean exactly (ties have
// probability 0), or L when there is none.
std::size_t located_token(const DataModel& model, const LimitDraw& draw, std::size_t i) {
  const std::size_t length = model.length();
  const std::size_t directions = model.features() + std::size_t{1};
  for (std::size_t l = 0; l < length; ++l) {
    if (draw.fields[(i * length + l) * directions + model.features()] == draw.label_means[i]) return l;
  }
  return length;
}

// As in single_location_test.cpp: within 5 standard errors.
void check_mean(const std::string& what, const std::vector<double>& values, double expected) {
  const MeanEstimate estimate = estimate_mean(values);
  INFO(what << ": mean " << estimate.mean << " +- " << estimate.standard_error << ", expected " << expected);
  CHECK(std::abs(estimate.mean - expected) < 5.0 * estimate.standard_error);
}

// theta_mean and theta_square: E theta_f and E theta_f^2 under the prior.
void check_limit_law(const std::string& params, const std::vector<double>& theta_mean,
                     const std::vector<double>& theta_square, double delta) {
  DataModel model = single_location(params);
  REQUIRE(model.has_limit());
  const std::size_t length = model.length();
  const std::size_t features = model.features();
  const std::size_t directions = features + 1;
  REQUIRE(theta_mean.size() == features);
  const auto n = static_cast<std::uint32_t>(5000 * length);
  Rng rng(31);
  const LimitDraw draw = draw_limit(model, rng, n);

  // Stratified: the pair k = i / 2 sits at (offset + k) mod L, so every
  // location is used exactly n / L times (n / 2 a multiple of L).
  const std::size_t offset = located_token(model, draw, 0);
  REQUIRE(offset < length);
  std::vector<std::size_t> uses(length, 0);
  bool stratified = true;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t eps = located_token(model, draw, i);
    stratified = stratified && eps == (offset + i / 2) % length;
    if (eps < length) ++uses[eps];
  }
  CHECK(stratified);
  for (std::size_t l = 0; l < length; ++l) CHECK(uses[l] == n / length);
  for (const double v : draw.noise_variances) REQUIRE(v == delta * delta);

  // Fields at eps: key f has mean E theta_f and second moment E theta_f^2 + 1;
  // the value field and every field elsewhere is N(0, 1).
  std::vector<std::vector<double>> at_eps(directions, std::vector<double>(n));
  std::vector<std::vector<double>> at_eps_square(directions, std::vector<double>(n));
  std::vector<std::vector<double>> elsewhere(directions), elsewhere_square(directions);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t eps = (offset + i / 2) % length;
    for (std::size_t l = 0; l < length; ++l) {
      for (std::size_t t = 0; t < directions; ++t) {
        const double chi = draw.fields[(i * length + l) * directions + t];
        if (l == eps) {
          at_eps[t][i] = chi;
          at_eps_square[t][i] = chi * chi;
        } else {
          elsewhere[t].push_back(chi);
          elsewhere_square[t].push_back(chi * chi);
        }
      }
    }
  }
  for (std::size_t t = 0; t < directions; ++t) {
    const bool key = t < features;
    const std::string name = key ? "key field " + std::to_string(t) : std::string("value field");
    check_mean(name + " at eps", at_eps[t], key ? theta_mean[t] : 0.0);
    check_mean(name + "^2 at eps", at_eps_square[t], key ? theta_square[t] + 1.0 : 1.0);
    if (length > 1) {
      check_mean(name + " elsewhere", elsewhere[t], 0.0);
      check_mean(name + "^2 elsewhere", elsewhere_square[t], 1.0);
    }
  }
}

}  // namespace

TEST_CASE("single-location's limit: Gaussian prior with a nonzero mean", "[single-location][limit]") {
  // theta ~ N([0.5, -1], diag([1.5, 0.5]^2)).
  check_limit_law("D = 6\nL = 4\nmean = [0.5, -1]\nstd = [1.5, 0.5]\ndelta = 0.3", {0.5, -1.0},
                  {0.25 + 2.25, 1.0 + 0.25}, 0.3);
}

TEST_CASE("single-location's limit: discrete prior", "[single-location][limit]") {
  // theta = (2, 0) with probability 1/4, (-1, 1) with probability 3/4.
  check_limit_law("D = 5\nL = 3\nprior = discrete\nsupport = [[2, 0], [-1, 1]]\nweights = [1, 3]\ndelta = 0.5",
                  {0.25 * 2 - 0.75, 0.75}, {0.25 * 4 + 0.75, 0.75}, 0.5);
}

TEST_CASE("single-location's limit: the shift is theta itself, on the key fields of one token",
          "[single-location][limit]") {
  // A one-point prior, theta = (30, -20): the shifted token stands out of the
  // N(0, 1) noise, and it must be the one whose value field is the label mean.
  DataModel model = single_location("D = 5\nL = 3\nprior = discrete\nsupport = [[30, -20]]\ndelta = 0");
  Rng rng(5);
  const LimitDraw draw = draw_limit(model, rng, 300);
  for (std::size_t i = 0; i < 300; ++i) {
    std::size_t shifted = 3;
    for (std::size_t l = 0; l < 3; ++l) {
      const double* chi = draw.fields.data() + (i * 3 + l) * 3;
      if (chi[0] > 15.0 && chi[1] < -10.0) shifted = l;
    }
    REQUIRE(shifted < 3);
    CHECK(located_token(model, draw, i) == shifted);
    CHECK(draw.noise_variances[i] == 0.0);
  }
}

TEST_CASE("single-location's limit: one offset per call, uniform, drawn from the host's stream",
          "[single-location][limit]") {
  DataModel model = single_location("D = 4\nL = 4\nmean = [0.2]");
  // Same seed, same draws.
  Rng a(9), b(9);
  const LimitDraw first = draw_limit(model, a, 16);
  const LimitDraw repeat = draw_limit(model, b, 16);
  CHECK(first.fields == repeat.fields);
  CHECK(first.label_means == repeat.label_means);

  // Calls of one sample: each eps is uniform, so any count is unbiased.
  Rng rng(10);
  std::vector<std::vector<double>> indicator(4, std::vector<double>(4000));
  for (std::size_t i = 0; i < 4000; ++i) {
    const LimitDraw one = draw_limit(model, rng, 1);
    const std::size_t eps = located_token(model, one, 0);
    REQUIRE(eps < 4);
    indicator[eps][i] = 1.0;
  }
  for (std::size_t l = 0; l < 4; ++l) check_mean("P(eps = " + std::to_string(l) + ")", indicator[l], 0.25);
}

TEST_CASE("single-location's limit: pairs flip exactly the sign-symmetric features", "[single-location][limit]") {
  // Feature 0 has mean 0 (symmetric), feature 1 mean 1 (not); discrete:
  // feature 0 symmetric (+-2 with equal weights), feature 1 not.
  const std::vector<std::pair<std::string, std::vector<bool>>> cases{
      {"D = 8\nL = 3\nmean = [0, 1]\nstd = [1, 1]", {true, false}},
      {"D = 8\nL = 3\nprior = discrete\nsupport = [[2, 1], [-2, 1]]\nweights = [1, 1]", {true, false}},
      {"D = 8\nL = 3\nprior = discrete\nsupport = [[2, 1], [-2, 1]]\nweights = [1, 2]", {false, false}}};
  for (const auto& [params, symmetric] : cases) {
    DataModel model = single_location(params);
    Rng rng(8);
    const LimitDraw draw = draw_limit(model, rng, 40);
    const std::size_t per_sample = 3 * 3;  // L x (F + 1)
    for (std::size_t pair = 0; pair < 20; ++pair) {
      const double* first = &draw.fields[2 * pair * per_sample];
      const double* second = first + per_sample;
      for (std::size_t k = 0; k < per_sample; ++k) {
        const std::size_t t = k % 3;
        const double sign = t < 2 && symmetric[t] ? -1.0 : 1.0;
        INFO(params << ": pair " << pair << ", field " << k);
        CHECK(second[k] == sign * first[k]);
      }
      CHECK(draw.label_means[2 * pair + 1] == draw.label_means[2 * pair]);
    }
  }
}
