// Detection of the plateau and of specialization events on trajectories
// whose answer is known by construction, and the seed statistics.
#include <attnlab/framework/analysis/seed_statistics.hpp>
#include <attnlab/framework/analysis/specialization.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

namespace {

using attnlab::RowMatrix;

// H = 3 heads, F = 3 features (f3 carries the mean). Times 1, 2, 4, ..., 512.
attnlab::OverlapTrajectory made_up_trajectory() {
  attnlab::OverlapTrajectory trajectory;
  for (int i = 0; i < 10; ++i) {
    const double t = std::pow(2.0, i);
    RowMatrix m = RowMatrix::Zero(3, 3);
    if (t >= 8) m.col(2).setConstant(0.5);  // all heads on the mean direction from t = 8
    if (t >= 32) m(1, 0) = -0.6;            // head 2 locks onto f1 (negative sign) at t = 32
    if (t == 16) m(0, 1) = 0.9;             // a one-point spike on f2: not an event
    if (t >= 128) m(2, 1) = 0.35;           // head 3 locks onto f2 at t = 128
    trajectory.times.push_back(t);
    trajectory.key_overlaps.push_back(m);
  }
  return trajectory;
}

}  // namespace

TEST_CASE("specialization events and the plateau are found where they were put", "[specialization]") {
  const attnlab::SpecializationCriteria criteria{0.3, {0, 1}, {0.0, 0.0, 1.5}};
  const auto analysis = attnlab::analyze_specialization(made_up_trajectory(), criteria);
  REQUIRE(analysis.plateau_start.has_value());
  // Crossings interpolated between the log points around them: the mean
  // overlap goes 0 -> 0.5 from t = 4 to 8 (0.3 at 6.4), f1's 0 -> 0.6 from 16
  // to 32 (0.3 at 24; the spike on f2 at 16 is another feature), f2's
  // 0 -> 0.35 from 64 to 128.
  CHECK(*analysis.plateau_start == Approx(6.4).epsilon(1e-14));
  REQUIRE(analysis.events.size() == 2);
  CHECK(analysis.events[0].feature == 0);
  CHECK(analysis.events[0].head == 1);
  CHECK(analysis.events[0].time == Approx(24.0).epsilon(1e-14));
  CHECK(analysis.events[0].overlap == -0.6);
  CHECK(analysis.events[1].feature == 1);
  CHECK(analysis.events[1].head == 2);
  CHECK(analysis.events[1].time == Approx(64.0 + 0.3 / 0.35 * 64.0).epsilon(1e-14));
}

TEST_CASE("a higher threshold finds fewer events; no mean direction gives no plateau", "[specialization]") {
  const attnlab::SpecializationCriteria criteria{0.4, {0, 1}, {}};
  const auto analysis = attnlab::analyze_specialization(made_up_trajectory(), criteria);
  CHECK_FALSE(analysis.plateau_start.has_value());
  REQUIRE(analysis.events.size() == 1);
  CHECK(analysis.events[0].feature == 0);
}

TEST_CASE("an event at the last log point counts", "[specialization]") {
  attnlab::OverlapTrajectory trajectory = made_up_trajectory();
  trajectory.key_overlaps.back()(0, 2) = 0.0;
  trajectory.key_overlaps.back()(1, 2) = 0.8;  // keep f3's watch: only the last point has it high for head 2
  trajectory.key_overlaps[8](1, 2) = 0.5;
  trajectory.key_overlaps[8](0, 2) = 0.5;
  const attnlab::SpecializationCriteria criteria{0.7, {2}, {}};
  const auto analysis = attnlab::analyze_specialization(trajectory, criteria);
  REQUIRE(analysis.events.size() == 1);
  CHECK(analysis.events[0].time == Approx(256.0 + 0.2 / 0.3 * 256.0).epsilon(1e-14));  // 0.5 at 256, 0.8 at 512
  CHECK(analysis.events[0].head == 1);
}

TEST_CASE("on a linear trajectory the interpolated crossing times are exact", "[specialization]") {
  // m[0,0](t) = t / 1000 and the mean-direction overlap t / 500 (every head
  // at 2t/1000 on the mean feature), logged at uneven times: thresholds 0.3
  // and 0.2 are crossed at t = 300 and t = 100, between log points.
  attnlab::OverlapTrajectory trajectory;
  for (const double t : {0.0, 70.0, 250.0, 410.0, 700.0, 1000.0}) {
    RowMatrix m = RowMatrix::Zero(2, 2);
    m(0, 0) = t / 1000.0;
    m.col(1).setConstant(2.0 * t / 1000.0);
    trajectory.times.push_back(t);
    trajectory.key_overlaps.push_back(m);
  }
  const auto analysis = attnlab::analyze_specialization(trajectory, {0.3, {0}, {0.0, 1.0}});
  REQUIRE(analysis.events.size() == 1);
  CHECK(analysis.events[0].time == Approx(300.0).epsilon(1e-12));
  CHECK(analysis.events[0].head == 0);
  CHECK(analysis.events[0].overlap == Approx(0.41).epsilon(1e-14));  // m at the log point that holds (t = 410)
  const auto plateau = attnlab::analyze_specialization(trajectory, {0.2, {}, {0.0, 1.0}});
  REQUIRE(plateau.plateau_start.has_value());
  CHECK(*plateau.plateau_start == Approx(100.0).epsilon(1e-12));
}

TEST_CASE("a crossing at the first log point keeps that point's time", "[specialization]") {
  attnlab::OverlapTrajectory trajectory;
  for (const double t : {5.0, 10.0}) {
    trajectory.times.push_back(t);
    trajectory.key_overlaps.push_back(RowMatrix::Constant(1, 1, 0.9));
  }
  const auto analysis = attnlab::analyze_specialization(trajectory, {0.3, {0}, {1.0}});
  REQUIRE(analysis.events.size() == 1);
  CHECK(analysis.events[0].time == 5.0);
  CHECK(*analysis.plateau_start == 5.0);
}

TEST_CASE("Wilson score intervals match hand-computed values", "[statistics]") {
  // (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n), z = 1.959964.
  const auto seven_of_ten = attnlab::wilson_interval(7, 10);
  CHECK(seven_of_ten.low == Approx(0.3967781475).epsilon(1e-9));
  CHECK(seven_of_ten.high == Approx(0.8922087326).epsilon(1e-9));
  const auto two_of_three = attnlab::wilson_interval(2, 3);
  CHECK(two_of_three.low == Approx(0.2076596008).epsilon(1e-9));
  CHECK(two_of_three.high == Approx(0.9385080553).epsilon(1e-9));
  const auto none_of_five = attnlab::wilson_interval(0, 5);
  CHECK(none_of_five.low == 0.0);
  CHECK(none_of_five.high == Approx(0.4344824648).epsilon(1e-9));
  const auto all_of_five = attnlab::wilson_interval(5, 5);
  CHECK(all_of_five.low == Approx(0.5655175352).epsilon(1e-9));
  CHECK(all_of_five.high == 1.0);
  const auto nothing = attnlab::wilson_interval(0, 0);  // no trials: nothing is known
  CHECK(nothing.low == 0.0);
  CHECK(nothing.high == 1.0);
}

TEST_CASE("mean and standard error over seeds skip non-finite runs", "[statistics]") {
  const std::vector<double> values = {1.0, 2.0, 3.0, 4.0, std::nan(""), INFINITY};
  const auto stats = attnlab::mean_and_error(values);
  CHECK(stats.count == 4);
  CHECK(stats.mean == Approx(2.5).epsilon(1e-15));
  // Sample variance 5/3, standard error sqrt(5/3 / 4).
  CHECK(stats.standard_error == Approx(std::sqrt(5.0 / 12.0)).epsilon(1e-14));
  const std::vector<double> one = {7.0};
  CHECK(attnlab::mean_and_error(one).standard_error == 0.0);
  CHECK(attnlab::mean_and_error(one).mean == 7.0);
  const std::vector<double> none = {std::nan("")};
  CHECK(std::isnan(attnlab::mean_and_error(none).mean));
  CHECK(attnlab::mean_and_error(none).count == 0);
}
