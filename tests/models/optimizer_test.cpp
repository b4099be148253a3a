// The built-in optimizers sgd, sgd-sphere and adam.
#include "model_test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using namespace attnlab;
using namespace attnlab::model_tests;

namespace {

// Keys and values (2 x 3 each), biases (1 x 2): the learner's layout; with
// `with_activation`, also two activation parameters.
struct Parameters {
  std::vector<double> keys, values, biases, activation;
  std::vector<double> grad_keys, grad_values, grad_biases, grad_activation;
  std::vector<attnlab_parameter_group> groups;

  explicit Parameters(std::uint64_t seed, bool with_activation = false) {
    Rng rng(seed);
    for (auto* v : {&keys, &values, &grad_keys, &grad_values}) {
      v->resize(6);
      rng.fill_normal(v->data(), v->size());
    }
    for (auto* v : {&biases, &grad_biases}) {
      v->resize(2);
      rng.fill_normal(v->data(), v->size());
    }
    groups = {{ATTNLAB_GROUP_KEYS, 2, 3, keys.data(), grad_keys.data()},
              {ATTNLAB_GROUP_VALUES, 2, 3, values.data(), grad_values.data()},
              {ATTNLAB_GROUP_BIASES, 1, 2, biases.data(), grad_biases.data()}};
    if (with_activation) {
      for (auto* v : {&activation, &grad_activation}) {
        v->resize(2);
        rng.fill_normal(v->data(), v->size());
      }
      groups.push_back({ATTNLAB_GROUP_ACTIVATION, 1, 2, activation.data(), grad_activation.data()});
    }
  }
  Parameters(const Parameters&) = delete;

  std::vector<double*> all_values() { return {keys.data(), values.data(), biases.data()}; }
  std::vector<double> everything() const {
    std::vector<double> out;
    for (const auto* v : {&keys, &values, &biases, &activation}) out.insert(out.end(), v->begin(), v->end());
    return out;
  }
};

double norm3(const double* v) {
  return std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
}

// A convex quadratic 1/2 sum_i a_i (theta_i - c_i)^2 over the keys, with
// curvatures a_i in [0.5, 2]; its gradient is written into the key gradient.
struct Quadratic {
  std::vector<double> curvature, centre;
  Quadratic() {
    for (int i = 0; i < 6; ++i) {
      curvature.push_back(0.5 + 0.3 * i);
      centre.push_back(std::sin(1.0 + i));
    }
  }
  double loss(const std::vector<double>& theta) const {
    double sum = 0.0;
    for (std::size_t i = 0; i < 6; ++i) sum += 0.5 * curvature[i] * std::pow(theta[i] - centre[i], 2);
    return sum;
  }
  void gradient(const std::vector<double>& theta, std::vector<double>& out) const {
    for (std::size_t i = 0; i < 6; ++i) out[i] = curvature[i] * (theta[i] - centre[i]);
  }
};

// Ratio of final to initial loss after 100 steps on the quadratic.
double minimize(Optimizer& optimizer, const Quadratic& q, std::uint32_t dimension) {
  Parameters p(3);
  std::fill(p.grad_values.begin(), p.grad_values.end(), 0.0);
  std::fill(p.grad_biases.begin(), p.grad_biases.end(), 0.0);
  optimizer.initialize(p.groups);
  const double initial = q.loss(p.keys);
  for (std::uint64_t step = 0; step < 100; ++step) {
    q.gradient(p.keys, p.grad_keys);
    optimizer.step({step, 1, dimension}, p.groups);
  }
  return q.loss(p.keys) / initial;
}

}  // namespace

TEST_CASE("sgd steps by eta / D times the gradient", "[optimizer]") {
  Optimizer sgd = make_optimizer("sgd", "eta = 0.7");
  Parameters p(1);
  const Parameters before(1);
  sgd.initialize(p.groups);
  CHECK(sgd.state().empty());
  sgd.step({0, 4, 50}, p.groups);
  const double rate = 0.7 / 50.0;
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK(p.keys[i] == before.keys[i] - rate * before.grad_keys[i]);
    CHECK(p.values[i] == before.values[i] - rate * before.grad_values[i]);
  }
  for (std::size_t i = 0; i < 2; ++i) CHECK(p.biases[i] == before.biases[i] - rate * before.grad_biases[i]);

  Optimizer unscaled = make_optimizer("sgd", "eta = 0.7\nlr_scale = none");
  Parameters q(1);
  unscaled.initialize(q.groups);
  unscaled.step({0, 4, 50}, q.groups);
  for (std::size_t i = 0; i < 6; ++i) CHECK(q.keys[i] == before.keys[i] - 0.7 * before.grad_keys[i]);

  // Default eta = 1.
  Optimizer defaults = make_optimizer("sgd");
  Parameters r(1);
  defaults.initialize(r.groups);
  defaults.step({0, 4, 8}, r.groups);
  CHECK(r.keys[0] == before.keys[0] - (1.0 / 8.0) * before.grad_keys[0]);
}

TEST_CASE("sgd-sphere keeps key and value norms and leaves biases free", "[optimizer]") {
  Optimizer sphere = make_optimizer("sgd-sphere", "eta = 2");
  Parameters p(2);
  sphere.initialize(p.groups);
  REQUIRE(sphere.state().size() == 4);  // one radius per key and value vector
  std::vector<double> radii;
  for (const double* v : {&p.keys[0], &p.keys[3], &p.values[0], &p.values[3]}) radii.push_back(norm3(v));
  std::vector<double> biases = p.biases;
  std::vector<double> keys_before = p.keys;
  for (std::uint64_t step = 0; step < 20; ++step) {
    sphere.step({step, 1, 3}, p.groups);
    for (std::size_t i = 0; i < 2; ++i) biases[i] -= (2.0 / 3.0) * p.grad_biases[i];
  }
  const double* vectors[] = {&p.keys[0], &p.keys[3], &p.values[0], &p.values[3]};
  for (std::size_t k = 0; k < 4; ++k) CHECK(std::abs(norm3(vectors[k]) - radii[k]) < 1e-12 * radii[k]);
  for (std::size_t k = 0; k < 4; ++k) CHECK(sphere.state()[k] == Approx(radii[k]).epsilon(1e-15));
  CHECK(p.keys != keys_before);  // it moved, on the sphere
  // Biases follow plain sgd: their norm changes freely.
  for (std::size_t i = 0; i < 2; ++i) CHECK(p.biases[i] == Approx(biases[i]).epsilon(1e-13));
  const Parameters initial(2);
  CHECK(std::hypot(p.biases[0], p.biases[1]) != Approx(std::hypot(initial.biases[0], initial.biases[1])));
}

TEST_CASE("adam's first step moves each coordinate by eta against the gradient", "[optimizer]") {
  Optimizer adam = make_optimizer("adam", "eta = 0.01");
  Parameters p(4);
  const Parameters before(4);
  adam.initialize(p.groups);
  REQUIRE(adam.state().size() == 2 * (6 + 6 + 2));  // m and v per parameter
  adam.step({0, 8, 100}, p.groups);
  // Bias correction makes the first step eta g / (|g| + epsilon): eta up to
  // a relative 1e-8 / |g| (|g| > 1e-3 here).
  for (std::size_t i = 0; i < 6; ++i) {
    INFO("coordinate " << i << ", gradient " << before.grad_keys[i]);
    REQUIRE(std::abs(before.grad_keys[i]) > 1e-3);
    const double moved = p.keys[i] - before.keys[i];
    CHECK(std::abs(std::abs(moved) - 0.01) < 1e-7);
    CHECK(moved * before.grad_keys[i] < 0);
  }
}

TEST_CASE("sgd and sgd-sphere step biases and activation parameters with their own rates", "[optimizer]") {
  // D = 4; eta = 0.5, bias_eta = 2, activation_eta = 0.25. Keys and values
  // step by 0.5 / 4 = 0.125 or 0.5, biases by 0.5 or 2, activation
  // parameters by 0.0625 or 0.25, as each lr_scale says.
  struct Case {
    std::string params;
    std::vector<double> keys, values, biases, activation;
  };
  const std::string rates = "eta = 0.5; bias_eta = 2; activation_eta = 0.25; ";
  const std::vector<Case> cases = {
      // All per-dimension: the plugins' default lr_scale, inherited.
      {rates, {0.5, -3.0}, {0.75, 1.375}, {-0.25, 0.75}, {1.96875}},
      // All none: lr_scale = none is inherited by biases and activation.
      {rates + "lr_scale = none", {-1.0, -6.0}, {1.5, 1.0}, {-1.75, 5.25}, {1.875}},
      // Keys and values none, biases per-dimension, activation inherits none.
      {rates + "lr_scale = none; bias_lr_scale = per-dimension", {-1.0, -6.0}, {1.5, 1.0}, {-0.25, 0.75}, {1.875}},
      // Keys and values per-dimension, biases and activation none.
      {rates + "bias_lr_scale = none; activation_lr_scale = none", {0.5, -3.0}, {0.75, 1.375}, {-1.75, 5.25}, {1.875}},
  };
  for (const Case& c : cases) {
    INFO(c.params);
    {
      Optimizer sgd = make_optimizer("sgd", c.params);
      SmallParameters p;
      sgd.initialize(p.groups);
      sgd.step({0, 1, 4}, p.groups);
      CHECK(p.keys == c.keys);
      CHECK(p.values == c.values);
      CHECK(p.biases == c.biases);
      CHECK(p.activation == c.activation);
    }
    {
      // The same step, then keys and values go back to their initial norms.
      Optimizer sphere = make_optimizer("sgd-sphere", c.params);
      SmallParameters p;
      const SmallParameters before;
      sphere.initialize(p.groups);
      sphere.step({0, 1, 4}, p.groups);
      const auto projected = [](const std::vector<double>& initial, const std::vector<double>& stepped, int i) {
        return stepped[i] * std::hypot(initial[0], initial[1]) / std::hypot(stepped[0], stepped[1]);
      };
      for (int i = 0; i < 2; ++i) {
        CHECK(p.keys[i] == Approx(projected(before.keys, c.keys, i)).epsilon(1e-14));
        CHECK(p.values[i] == Approx(projected(before.values, c.values, i)).epsilon(1e-14));
      }
      CHECK(p.biases == c.biases);
      CHECK(p.activation == c.activation);
    }
  }
}

TEST_CASE("sgd and sgd-sphere without bias and activation settings step exactly as with them set to eta and lr_scale",
          "[optimizer]") {
  struct Case {
    std::string omitted, given;
  };
  const std::vector<Case> cases = {
      {"", "bias_eta = 1; activation_eta = 1; bias_lr_scale = per-dimension; activation_lr_scale = per-dimension"},
      {"eta = 0.7", "eta = 0.7; bias_eta = 0.7; activation_eta = 0.7"},
      {"eta = 0.1; lr_scale = none",
       "eta = 0.1; lr_scale = none; bias_eta = 0.1; bias_lr_scale = none; activation_eta = 0.1; "
       "activation_lr_scale = none"},
  };
  for (const std::string id : {"sgd", "sgd-sphere"}) {
    for (const Case& c : cases) {
      INFO(id << ": '" << c.omitted << "' against '" << c.given << "'");
      std::vector<std::vector<double>> results;
      for (const std::string& params : {c.omitted, c.given}) {
        Optimizer optimizer = make_optimizer(id, params);
        Parameters p(6, true);
        optimizer.initialize(p.groups);
        for (std::uint64_t step = 0; step < 5; ++step) optimizer.step({step, 2, 30}, p.groups);
        results.push_back(p.everything());
      }
      CHECK(results[0] == results[1]);
    }
  }
  // And, as before there were separate rates, every group steps by eta / D.
  Optimizer sgd = make_optimizer("sgd", "eta = 0.7");
  Parameters p(7, true);
  const Parameters before(7, true);
  sgd.initialize(p.groups);
  sgd.step({0, 2, 30}, p.groups);
  const double rate = 0.7 / 30.0;
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(p.biases[i] == before.biases[i] - rate * before.grad_biases[i]);
    CHECK(p.activation[i] == before.activation[i] - rate * before.grad_activation[i]);
  }
}

TEST_CASE("sgd-sphere with its own bias and activation rates keeps key and value norms and leaves the rest free",
          "[optimizer]") {
  Optimizer sphere = make_optimizer("sgd-sphere", "eta = 2; bias_eta = 0.5; bias_lr_scale = none; activation_eta = 3");
  Parameters p(8, true);
  sphere.initialize(p.groups);
  REQUIRE(sphere.state().size() == 4);  // radii of the key and value vectors only
  std::vector<double> radii;
  for (const double* v : {&p.keys[0], &p.keys[3], &p.values[0], &p.values[3]}) radii.push_back(norm3(v));
  std::vector<double> biases = p.biases, activation = p.activation;
  for (std::uint64_t step = 0; step < 20; ++step) {
    sphere.step({step, 1, 3}, p.groups);
    for (std::size_t i = 0; i < 2; ++i) {
      biases[i] -= 0.5 * p.grad_biases[i];                  // bias_eta, lr_scale none
      activation[i] -= (3.0 / 3.0) * p.grad_activation[i];  // activation_eta / D
    }
  }
  const double* vectors[] = {&p.keys[0], &p.keys[3], &p.values[0], &p.values[3]};
  for (std::size_t k = 0; k < 4; ++k) CHECK(std::abs(norm3(vectors[k]) - radii[k]) < 1e-12 * radii[k]);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(p.biases[i] == Approx(biases[i]).epsilon(1e-13));
    CHECK(p.activation[i] == Approx(activation[i]).epsilon(1e-13));
  }
  // Not projected: their norms move with the steps.
  const Parameters initial(8, true);
  CHECK(std::hypot(p.biases[0], p.biases[1]) != Approx(std::hypot(initial.biases[0], initial.biases[1])));
  CHECK(std::hypot(p.activation[0], p.activation[1]) !=
        Approx(std::hypot(initial.activation[0], initial.activation[1])));
}

TEST_CASE("a per-dimension bias step at D = 0 is refused by name and moves nothing", "[optimizer]") {
  Optimizer sgd = make_optimizer("sgd", "lr_scale = none; bias_lr_scale = per-dimension");
  Parameters p(9, true);
  sgd.initialize(p.groups);
  const std::vector<double> before = p.everything();
  const std::string message = error_message([&] { sgd.step({0, 1, 0}, p.groups); });
  CHECK(message.find("bias_lr_scale = per-dimension needs the dimension D") != std::string::npos);
  CHECK(p.everything() == before);
}

TEST_CASE("every optimizer lowers a convex quadratic", "[optimizer]") {
  const Quadratic q;
  SECTION("sgd") {
    // lr = 10 / 20 = 0.5 and curvatures <= 2: contraction |1 - lr a| <= 0.75 per step.
    Optimizer sgd = make_optimizer("sgd", "eta = 10");
    CHECK(minimize(sgd, q, 20) < 1e-12);
  }
  SECTION("adam") {
    // Steps of about eta = 0.05: 100 of them cover the O(1) distances here.
    Optimizer adam = make_optimizer("adam", "eta = 0.05");
    CHECK(minimize(adam, q, 20) < 0.05);
  }
  SECTION("sgd-sphere") {
    // The minimum is generally off the sphere, so only require progress, and
    // that the norms were kept.
    Optimizer sphere = make_optimizer("sgd-sphere", "eta = 2");
    CHECK(minimize(sphere, q, 20) < 0.9);
  }
}

TEST_CASE("optimizer state is deterministic", "[optimizer]") {
  for (const std::string id : {"adam", "sgd-sphere"}) {
    INFO(id);
    std::vector<std::vector<double>> states, keys;
    for (int run = 0; run < 2; ++run) {
      Optimizer optimizer = make_optimizer(id);
      Parameters p(5);
      optimizer.initialize(p.groups);
      for (std::uint64_t step = 0; step < 10; ++step) optimizer.step({step, 2, 30}, p.groups);
      states.emplace_back(optimizer.state().begin(), optimizer.state().end());
      keys.push_back(p.keys);
    }
    CHECK(states[0] == states[1]);
    CHECK(keys[0] == keys[1]);
    CHECK(!states[0].empty());
  }
}

TEST_CASE("optimizers reject bad parameters by name and value", "[optimizer][params]") {
  struct Case {
    std::string id, params;
    std::vector<std::string> mentions;
  };
  const std::vector<Case> cases = {
      {"sgd", "eta = 0", {"eta = 0", "positive"}},
      {"sgd", "eta = -1", {"eta = -1", "positive"}},
      {"sgd", "lr_scale = sqrt", {"lr_scale = 'sqrt'", "per-dimension, none"}},
      {"sgd", "momentum = 0.9", {"'momentum'", "unknown parameter", "bias_eta", "activation_lr_scale"}},
      {"sgd", "bias_eta = -1", {"bias_eta = -1 must be positive"}},
      {"sgd", "bias_eta = 0", {"bias_eta = 0 must be positive"}},
      {"sgd", "activation_eta = -0.5", {"activation_eta = -0.5 must be positive"}},
      {"sgd", "bias_lr_scale = x", {"bias_lr_scale = 'x' is not one of: per-dimension, none"}},
      {"sgd", "activation_lr_scale = sqrt", {"activation_lr_scale = 'sqrt' is not one of: per-dimension, none"}},
      {"sgd", "bias_momentum = 0.9", {"'bias_momentum'", "unknown parameter"}},
      {"sgd-sphere", "eta = -2", {"eta = -2"}},
      {"sgd-sphere", "bias_eta = -1", {"bias_eta = -1 must be positive"}},
      {"sgd-sphere", "activation_eta = 0", {"activation_eta = 0 must be positive"}},
      {"sgd-sphere", "bias_lr_scale = x", {"bias_lr_scale = 'x' is not one of: per-dimension, none"}},
      {"sgd-sphere", "activation_lr_scale = x", {"activation_lr_scale = 'x' is not one of: per-dimension, none"}},
      {"adam", "bias_eta = 0.1", {"'bias_eta'", "unknown parameter"}},
      {"adam", "eta = 0", {"eta = 0", "positive"}},
      {"adam", "beta1 = 1", {"beta1 = 1", "[0, 1)"}},
      {"adam", "beta2 = -0.1", {"beta2 = -0.1", "[0, 1)"}},
      {"adam", "epsilon = 0", {"epsilon = 0", "positive"}},
      {"adam", "lr_scale = per_dimension", {"lr_scale = 'per_dimension'"}},
  };
  for (const Case& c : cases) {
    INFO(c.id << ": " << c.params);
    const std::string message = error_message([&] { make_optimizer(c.id, c.params); });
    INFO("message: " << message);
    REQUIRE(!message.empty());
    CHECK(message.find("'" + c.id + "'") != std::string::npos);
    for (const std::string& mention : c.mentions) CHECK(message.find(mention) != std::string::npos);
  }
}
