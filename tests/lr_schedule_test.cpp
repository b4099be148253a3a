// Learning-rate schedules (attnlab::LrSchedule): each factor against values
// worked out by hand, the time of a step, and the refusals, each naming its key.
#include <attnlab/sdk/lr_schedule.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

using attnlab::LrSchedule;
using attnlab::ParamError;
using attnlab::Params;
using Catch::Matchers::Contains;

namespace {

LrSchedule read(const std::string& text) {
  const Params params = Params::parse(text);
  LrSchedule schedule = LrSchedule::read(params);
  params.require_all_used();
  return schedule;
}

std::string refusal(const std::string& text) {
  try {
    read(text);
  } catch (const ParamError& e) {
    return e.what();
  }
  return "(accepted)";
}

constexpr double kPi = 3.14159265358979323846;

}  // namespace

TEST_CASE("constant is the default and is exactly 1", "[schedule]") {
  // No schedule key at all (the optimizer reads its other keys itself).
  const LrSchedule none = LrSchedule::read(Params::parse("eta = 0.1"));
  CHECK(none.is_constant());
  CHECK(read("schedule = \"constant\"").is_constant());
  for (const double t : {0.0, 0.5, 1e6}) CHECK(none.factor(t) == 1.0);
  // With D = 0 too: the constant schedule needs no time.
  CHECK(none.factor(attnlab_step_info{7, 3, 0}) == 1.0);
  CHECK(none.describe() == "constant");
}

TEST_CASE("inverse-time is 1 / (1 + t / tau)", "[schedule]") {
  const LrSchedule s = read("schedule = inverse-time; schedule_tau = 4");
  CHECK(s.factor(0.0) == 1.0);
  CHECK(s.factor(4.0) == 0.5);
  CHECK(s.factor(12.0) == 0.25);
  CHECK(s.factor(1.0) == Approx(0.8).epsilon(1e-15));
  CHECK(s.factor(396.0) == Approx(0.01).epsilon(1e-15));
  CHECK(s.breaks(100.0).empty());
}

TEST_CASE("cosine falls from 1 to its floor over the period, then stays", "[schedule]") {
  const LrSchedule s = read("schedule = cosine; schedule_period = 10; schedule_floor = 0.2");
  CHECK(s.factor(0.0) == 1.0);
  CHECK(s.factor(5.0) == Approx(0.6).epsilon(1e-15));  // halfway: the mean of 1 and 0.2
  CHECK(s.factor(2.5) == Approx(0.2 + 0.8 * 0.5 * (1 + std::sqrt(0.5))).epsilon(1e-15));
  CHECK(s.factor(10.0) == 0.2);
  CHECK(s.factor(1e4) == 0.2);
  CHECK(s.factor(9.999) == Approx(0.2 + 0.4 * (1 + std::cos(kPi * 0.9999))).epsilon(1e-12));
  // Floor 0 by default.
  const LrSchedule to_zero = read("schedule = cosine; schedule_period = 2");
  CHECK(to_zero.factor(1.0) == Approx(0.5).epsilon(1e-15));
  CHECK(to_zero.factor(2.0) == 0.0);
  CHECK(s.breaks(30.0) == std::vector<double>{10.0});
  CHECK(s.breaks(10.0).empty());
}

TEST_CASE("step multiplies by its factor at every whole interval", "[schedule]") {
  const LrSchedule s = read("schedule = step; schedule_factor = 0.5; schedule_interval = 3");
  CHECK(s.factor(0.0) == 1.0);
  CHECK(s.factor(2.999) == 1.0);
  CHECK(s.factor(3.0) == 0.5);
  CHECK(s.factor(8.9) == 0.25);
  CHECK(s.factor(9.0) == 0.125);
  CHECK(s.breaks(10.0) == std::vector<double>{3.0, 6.0, 9.0});
  // A boundary reached through rounding counts: 0.1 * 3 is 0.30000000000000004
  // and 0.3 / 0.1 is 2.9999999999999996.
  const LrSchedule tenth = read("schedule = step; schedule_factor = 0.1; schedule_interval = 0.1");
  CHECK(tenth.factor(0.3) == Approx(1e-3).epsilon(1e-12));
  CHECK(tenth.factor(0.29) == Approx(1e-2).epsilon(1e-12));
}

TEST_CASE("a step's time is step * batch / D", "[schedule]") {
  CHECK(LrSchedule::time_of({0, 16, 100}) == 0.0);
  CHECK(LrSchedule::time_of({25, 16, 100}) == 4.0);
  const LrSchedule s = LrSchedule::inverse_time(4.0);
  // Step 25 of batch 16 at D = 100 is t = 4: the factor halves.
  CHECK(s.factor(attnlab_step_info{25, 16, 100}) == 0.5);
  // The same t at another D and batch gives the same factor.
  CHECK(s.factor(attnlab_step_info{1000, 2, 500}) == 0.5);
  CHECK_THROWS_WITH(s.factor(attnlab_step_info{1, 1, 0}), Contains("needs the dimension D"));
}

TEST_CASE("bad schedules are refused, naming the key and what it takes", "[schedule]") {
  CHECK_THAT(refusal("schedule = linear"),
             Contains("schedule = 'linear'") && Contains("constant, inverse-time, cosine, step"));
  CHECK_THAT(refusal("schedule = inverse-time"), Contains("needs schedule_tau"));
  CHECK_THAT(refusal("schedule = inverse-time; schedule_tau = 0"), Contains("schedule_tau = 0 must be positive"));
  CHECK_THAT(refusal("schedule = inverse-time; schedule_tau = -1"), Contains("schedule_tau = -1 must be positive"));
  CHECK_THAT(refusal("schedule = cosine"), Contains("needs schedule_period"));
  CHECK_THAT(refusal("schedule = cosine; schedule_period = 0"), Contains("schedule_period = 0 must be positive"));
  CHECK_THAT(refusal("schedule = cosine; schedule_period = 5; schedule_floor = 1.5"),
             Contains("schedule_floor = 1.5 must be in [0, 1]"));
  CHECK_THAT(refusal("schedule = cosine; schedule_period = 5; schedule_floor = -0.1"),
             Contains("schedule_floor = -0.1 must be in [0, 1]"));
  CHECK_THAT(refusal("schedule = step; schedule_interval = 2"), Contains("needs schedule_factor"));
  CHECK_THAT(refusal("schedule = step; schedule_factor = 0.5"), Contains("needs schedule_interval"));
  CHECK_THAT(refusal("schedule = step; schedule_factor = 0; schedule_interval = 2"),
             Contains("schedule_factor = 0 must be in (0, 1]"));
  CHECK_THAT(refusal("schedule = step; schedule_factor = 2; schedule_interval = 2"),
             Contains("schedule_factor = 2 must be in (0, 1]"));
  CHECK_THAT(refusal("schedule = step; schedule_factor = 0.5; schedule_interval = 0"),
             Contains("schedule_interval = 0 must be positive"));
  CHECK_THAT(refusal("schedule = \"step\"; schedule_factor = \"0.5\"; schedule_interval = 1"),
             Contains("'schedule_factor' must be a number"));
  // A setting of another schedule, or of none.
  CHECK_THAT(
      refusal("schedule = cosine; schedule_period = 5; schedule_tau = 3"),
      Contains("schedule_tau is not a setting of schedule = 'cosine'") && Contains("schedule_period, schedule_floor"));
  CHECK_THAT(refusal("schedule_tau = 3"), Contains("schedule_tau is not a setting of schedule = 'constant'"));
  CHECK(refusal("schedule = step; schedule_factor = 1; schedule_interval = 0.5") == "(accepted)");
  CHECK(refusal("schedule = cosine; schedule_period = 5; schedule_floor = 1") == "(accepted)");
}

TEST_CASE("the named constructors check like read() does", "[schedule]") {
  CHECK_THROWS_AS(LrSchedule::inverse_time(0.0), ParamError);
  CHECK_THROWS_AS(LrSchedule::cosine(1.0, 2.0), ParamError);
  CHECK_THROWS_AS(LrSchedule::step(1.5, 1.0), ParamError);
  CHECK(LrSchedule::cosine(4.0).factor(4.0) == 0.0);
  CHECK(LrSchedule::step(0.5, 1.0).describe() == "step, schedule_factor = 0.5, schedule_interval = 1");
}
