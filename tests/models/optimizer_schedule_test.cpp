// Learning-rate schedules in the built-in optimizers: the schedule's factor
// multiplies every group's rate at the step's time t = step * batch / D, the
// constant schedule changes nothing, and a bad schedule is refused by name.
#include "model_test_support.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace attnlab;
using namespace attnlab::model_tests;
using Catch::Matchers::Contains;

namespace {

// The change of every parameter in one step of `optimizer` at `info`.
std::vector<double> moved(const std::string& id, const std::string& params, attnlab_step_info info) {
  Optimizer optimizer = make_optimizer(id, params);
  SmallParameters p;
  const std::vector<double> before = p.all();
  optimizer.initialize(p.groups);
  optimizer.step(info, p.groups);
  std::vector<double> change = p.all();
  for (std::size_t i = 0; i < change.size(); ++i) change[i] -= before[i];
  return change;
}

}  // namespace

TEST_CASE("sgd's schedule multiplies the rate of every group at t = step * batch / D", "[optimizer][schedule]") {
  // eta = 1, bias_eta = 2, activation_eta = 0.5, all eta / D with D = 4;
  // batch 2: step k is t = k / 2. inverse-time with tau = 1: factor 1 / (1 + t).
  const std::string rates = "eta = 1; bias_eta = 2; activation_eta = 0.5; ";
  const std::string schedule = "schedule = inverse-time; schedule_tau = 1";
  struct Case {
    std::uint64_t step;
    double factor;
  };
  for (const Case c : {Case{0, 1.0}, Case{2, 0.5}, Case{6, 0.25}, Case{14, 0.125}}) {
    INFO("step " << c.step);
    const std::vector<double> change = moved("sgd", rates + schedule, {c.step, 2, 4});
    // keys, values: -(1/4) g; biases -(2/4) g; activation -(0.5/4) g; all times the factor.
    const std::vector<double> expected{-0.25 * 4.0, -0.25 * 8.0, -0.25 * -2.0, -0.25 * 1.0,
                                       -0.5 * 1.0,  -0.5 * -3.0, -0.125 * 0.5};
    REQUIRE(change.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) CHECK(change[i] == c.factor * expected[i]);
  }
  // cosine over t in [0, 8] to 0, and step 0.5 every t = 2, at t = 4 (step 8).
  const std::vector<double> plain = moved("sgd", rates, {8, 2, 4});
  const std::vector<double> cosine = moved("sgd", rates + "schedule = cosine; schedule_period = 8", {8, 2, 4});
  const std::vector<double> stepped =
      moved("sgd", rates + "schedule = step; schedule_factor = 0.5; schedule_interval = 2", {8, 2, 4});
  for (std::size_t i = 0; i < plain.size(); ++i) {
    CHECK(cosine[i] == Approx(0.5 * plain[i]).epsilon(1e-14));  // (1 + cos(pi / 2)) / 2
    CHECK(stepped[i] == 0.25 * plain[i]);                       // two intervals passed
  }
}

TEST_CASE("sgd-sphere and adam scale their steps by the schedule too", "[optimizer][schedule]") {
  const std::string schedule = "schedule = step; schedule_factor = 0.5; schedule_interval = 1";
  // Step 3 of batch 8 at D = 8 is t = 3: factor 1/8.
  const attnlab_step_info info{3, 8, 8};
  // sgd-sphere: biases and activation parameters are plain sgd steps.
  const std::vector<double> sphere = moved("sgd-sphere", "eta = 1", info);
  const std::vector<double> sphere_scheduled = moved("sgd-sphere", "eta = 1; " + schedule, info);
  for (std::size_t i = 4; i < sphere.size(); ++i) CHECK(sphere_scheduled[i] == sphere[i] / 8.0);
  // Adam: the same moments, one eighth of the step.
  const std::vector<double> adam = moved("adam", "eta = 0.01", info);
  const std::vector<double> adam_scheduled = moved("adam", "eta = 0.01; " + schedule, info);
  for (std::size_t i = 0; i < adam.size(); ++i) {
    REQUIRE(adam[i] != 0.0);
    CHECK(adam_scheduled[i] == Approx(adam[i] / 8.0).epsilon(1e-12));
  }
}

TEST_CASE("the constant schedule, given or not, steps bit for bit as before", "[optimizer][schedule]") {
  for (const std::string id : {"sgd", "sgd-sphere", "adam"}) {
    INFO(id);
    Optimizer plain = make_optimizer(id, "eta = 0.3");
    Optimizer constant = make_optimizer(id, "eta = 0.3; schedule = constant");
    SmallParameters a, b;
    plain.initialize(a.groups);
    constant.initialize(b.groups);
    for (std::uint64_t step = 0; step < 5; ++step) {
      plain.step({step, 3, 7}, a.groups);
      constant.step({step, 3, 7}, b.groups);
    }
    CHECK(a.all() == b.all());
  }
}

TEST_CASE("every optimizer refuses a bad schedule, naming the key", "[optimizer][schedule]") {
  for (const std::string id : {"sgd", "sgd-sphere", "adam"}) {
    INFO(id);
    CHECK_THAT(error_message([&] { make_optimizer(id, "schedule = exponential"); }),
               Contains("schedule = 'exponential' is not one of: constant, inverse-time, cosine, step"));
    CHECK_THAT(error_message([&] { make_optimizer(id, "schedule = inverse-time; schedule_tau = -2"); }),
               Contains("schedule_tau = -2 must be positive"));
    CHECK_THAT(error_message([&] { make_optimizer(id, "schedule = cosine"); }), Contains("needs schedule_period"));
    CHECK_THAT(error_message([&] { make_optimizer(id, "schedule_interval = 3"); }),
               Contains("schedule_interval is not a setting of schedule = 'constant'"));
    CHECK_THAT(
        error_message([&] { make_optimizer(id, "schedule = step; schedule_factor = 0.5; schedule_intervall = 3"); }),
        Contains("schedule_interval"));
  }
}
