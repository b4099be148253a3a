// Adaptive integrators for the high-dimensional limit, with error control on
// every component of the state: a Rosenbrock W-method (ROS2, linearly
// implicit, for the stiff limit; the default) and Dormand-Prince 5(4)
// (explicit), which check each other in the tests.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace attnlab {

// derivative(t, state, rate): d state / dt at time t, the same size as
// state. The time is there for learning-rate schedules; the Rosenbrock
// method takes no d/dt Jacobian column, which a W-method tolerates.
using LimitRhs = std::function<void(double time, const std::vector<double>& state, std::vector<double>& rate)>;

struct IntegrationStats {
  std::uint64_t accepted = 0;     // steps taken
  std::uint64_t rejected = 0;     // steps retried with a smaller size
  std::uint64_t evaluations = 0;  // right-hand side evaluations
};

enum class LimitIntegrator { Rosenbrock, Rk45 };

struct IntegrationRequest {
  LimitIntegrator method = LimitIntegrator::Rosenbrock;
  double start = 0.0;             // the time of the initial state
  std::span<const double> times;  // increasing, each >= start: where to report the state
  double tolerance = 1e-5;        // per-step error, absolute and relative
  std::function<void(std::size_t index, const std::vector<double>& state)> at_time;  // times[index] reached
  std::function<bool()> stop_requested;  // checked after each step; may be empty
};

// Moves `state` from request.start through every requested time. Returns
// false when stopped early (state then holds the last reported time's
// successor step, and at_time was called for every time reached). Throws
// std::runtime_error when the step size collapses (the state diverges or the
// right-hand side is not finite), naming the time.
bool integrate_limit(const LimitRhs& derivative, std::vector<double>& state, const IntegrationRequest& request,
                     IntegrationStats& stats);

// Until the flow is at rest: integrates the autonomous `derivative` from
// `state` at time `start`, reporting on the doubling grid 1, 2, 4, ... (its
// points after `start`) and at `horizon`, and stops at the first point
// (`start` included) where every |rate| is below `rate_tolerance`. `state`
// and `time` are then the last point reached.
struct RestSearch {
  double time = 0.0;
  bool at_rest = false;
};
RestSearch integrate_to_rest(const LimitRhs& derivative, std::vector<double>& state, double start, double horizon,
                             double rate_tolerance, double integration_tolerance);

}  // namespace attnlab
