#include <attnlab/framework/theory/limit_integrator.hpp>

#include <fmt/format.h>
#include <Eigen/Dense>
#include <boost/numeric/odeint.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace attnlab {
namespace {

namespace odeint = boost::numeric::odeint;

bool all_finite(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [](double value) { return std::isfinite(value); });
}

// The right-hand side with the checks every integrator needs: a count, and a
// refusal of non-finite values (a step controller can accept a NaN error).
class CheckedRhs {
 public:
  CheckedRhs(const LimitRhs& derivative, IntegrationStats& stats) : derivative_(derivative), stats_(stats) {}
  void operator()(const std::vector<double>& x, std::vector<double>& dxdt, double at) const {
    ++stats_.evaluations;
    dxdt.resize(x.size());
    derivative_(at, x, dxdt);
    if (!all_finite(x) || !all_finite(dxdt)) {
      throw std::runtime_error(fmt::format("the state or its rate is not finite near t = {:.6g}", at));
    }
  }

 private:
  const LimitRhs& derivative_;
  IntegrationStats& stats_;
};

[[noreturn]] void step_collapsed(double t) {
  throw std::runtime_error(
      fmt::format("the integration step collapsed at t = {:.6g} (the state diverges or its rate is not finite)", t));
}

bool too_small(double dt, double t) {
  return !(dt > 1e-12 * std::max(1.0, std::abs(t)));
}

// Dormand-Prince 5(4) with odeint's error control: explicit, so the step is
// held near 3 / |most negative eigenvalue| of the Jacobian on stiff stretches.
bool integrate_rk45(const CheckedRhs& system, std::vector<double>& state, const IntegrationRequest& request,
                    IntegrationStats& stats) {
  using Stepper = odeint::runge_kutta_dopri5<std::vector<double>>;
  auto stepper = odeint::make_controlled(request.tolerance, request.tolerance, Stepper());
  double t = request.start;
  double dt = 0.01;  // a first guess; the controller adapts it within a few steps
  for (std::size_t index = 0; index < request.times.size(); ++index) {
    const double target = request.times[index];
    while (t < target) {
      // Land on the reporting time exactly without shrinking the step the
      // controller proposes afterwards.
      const double proposed = dt;
      double step = std::min(dt, target - t);
      const bool clipped = step < proposed;
      if (stepper.try_step(system, state, t, step) == odeint::success) {
        ++stats.accepted;
        dt = clipped ? std::max(step, proposed) : step;
        if (target - t <= 1e-12 * std::max(1.0, std::abs(target))) t = target;
        if (request.stop_requested && request.stop_requested()) return false;
      } else {
        ++stats.rejected;
        dt = step;
      }
      if (too_small(dt, t)) step_collapsed(t);
    }
    if (request.at_time) request.at_time(index, state);
  }
  return true;
}

// ROS2 (Verwer et al. 1999), a second-order L-stable Rosenbrock W-method:
//   (I - g h J) k1 = f(y),  (I - g h J) k2 = f(y + h k1) - 2 k1,
//   y' = y + 3/2 h k1 + 1/2 h k2,  g = 1 + 1/sqrt(2),
// with the first-order y + h k1 as the error estimate. Being a W-method it
// keeps its order with an approximate J, so a finite-difference Jacobian is
// reused over many steps: the stiff modes of the limit (one near -1.3 at
// eta = 0.1) then no longer bound the step.
class Ros2 {
 public:
  Ros2(const CheckedRhs& system, double tolerance) : system_(system), tolerance_(tolerance) {}

  bool integrate(std::vector<double>& y, const IntegrationRequest& request, IntegrationStats& stats) {
    const Eigen::Index n = static_cast<Eigen::Index>(y.size());
    double t = request.start;
    double h = 0.1;
    std::vector<double> f0(y.size()), f1(y.size()), trial(y.size());
    system_(y, f0, t);
    bool have_jacobian = false;
    std::uint64_t jacobian_age = 0;
    double factored_h = -1.0;
    Eigen::PartialPivLU<Eigen::MatrixXd> lu;
    Eigen::MatrixXd jacobian(n, n);
    Eigen::VectorXd k1(n), k2(n);
    for (std::size_t index = 0; index < request.times.size(); ++index) {
      const double target = request.times[index];
      while (t < target) {
        if (!have_jacobian) {
          finite_difference_jacobian(y, f0, t, jacobian);
          have_jacobian = true;
          jacobian_age = 0;
          factored_h = -1.0;
        }
        const double step = std::min(h, target - t);
        if (step != factored_h) {
          lu.compute(Eigen::MatrixXd::Identity(n, n) - kGamma * step * jacobian);
          factored_h = step;
        }
        k1 = lu.solve(Eigen::Map<const Eigen::VectorXd>(f0.data(), n));
        for (Eigen::Index i = 0; i < n; ++i)
          trial[static_cast<std::size_t>(i)] = y[static_cast<std::size_t>(i)] + step * k1[i];
        system_(trial, f1, t + step);
        k2 = lu.solve(Eigen::Map<const Eigen::VectorXd>(f1.data(), n) - 2.0 * k1);
        double error = 0.0;
        for (Eigen::Index i = 0; i < n; ++i) {
          const auto k = static_cast<std::size_t>(i);
          trial[k] = y[k] + 1.5 * step * k1[i] + 0.5 * step * k2[i];
          const double scale = tolerance_ * (1.0 + std::max(std::abs(y[k]), std::abs(trial[k])));
          error = std::max(error, std::abs(0.5 * step * (k1[i] + k2[i])) / scale);
        }
        if (!std::isfinite(error)) error = 1e10;
        // Order-2 step with an order-1 estimate: the error scales as h^2.
        const double factor = std::clamp(0.9 / std::sqrt(std::max(error, 1e-10)), 0.2, 4.0);
        if (error <= 1.0) {
          ++stats.accepted;
          y.swap(trial);
          t = step == target - t ? target : t + step;
          system_(y, f0, t);
          // A clipped step says nothing about the size the next one can take.
          h = step < h ? std::max(h, step * factor) : step * factor;
          if (++jacobian_age >= kJacobianReuse) have_jacobian = false;
          if (request.stop_requested && request.stop_requested()) return false;
        } else {
          ++stats.rejected;
          h = step * factor;
          // A rejection with an old Jacobian may be its fault: refresh it.
          if (jacobian_age > 0) have_jacobian = false;
        }
        if (too_small(h, t)) step_collapsed(t);
      }
      if (request.at_time) request.at_time(index, y);
    }
    return true;
  }

 private:
  static constexpr double kGamma = 1.0 + 0.70710678118654752440;
  static constexpr std::uint64_t kJacobianReuse = 100;

  void finite_difference_jacobian(const std::vector<double>& y, const std::vector<double>& f0, double t,
                                  Eigen::MatrixXd& jacobian) const {
    std::vector<double> shifted = y;
    std::vector<double> f(y.size());
    for (std::size_t j = 0; j < y.size(); ++j) {
      const double delta = 1e-7 * std::max(1.0, std::abs(y[j]));
      shifted[j] = y[j] + delta;
      system_(shifted, f, t);
      shifted[j] = y[j];
      for (std::size_t i = 0; i < y.size(); ++i) {
        jacobian(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = (f[i] - f0[i]) / delta;
      }
    }
  }

  const CheckedRhs& system_;
  double tolerance_;
};

}  // namespace

bool integrate_limit(const LimitRhs& derivative, std::vector<double>& state, const IntegrationRequest& request,
                     IntegrationStats& stats) {
  const CheckedRhs system(derivative, stats);
  if (request.method == LimitIntegrator::Rk45) return integrate_rk45(system, state, request, stats);
  Ros2 ros2(system, request.tolerance);
  return ros2.integrate(state, request, stats);
}

RestSearch integrate_to_rest(const LimitRhs& derivative, std::vector<double>& state, double start, double horizon,
                             double rate_tolerance, double integration_tolerance) {
  std::vector<double> rate;
  const auto at_rest = [&](const std::vector<double>& point) {
    derivative(0.0, point, rate);
    return std::all_of(rate.begin(), rate.end(), [&](double v) { return std::fabs(v) < rate_tolerance; });
  };
  RestSearch search{start, at_rest(state)};
  if (search.at_rest) return search;
  std::vector<double> times;
  for (double t = 1.0; t < horizon; t *= 2.0) {
    if (t > start) times.push_back(t);
  }
  if (horizon > start) times.push_back(horizon);
  if (times.empty()) return search;

  std::vector<double> moving = state;
  IntegrationRequest request;
  request.start = start;
  request.times = times;
  request.tolerance = integration_tolerance;
  request.at_time = [&](std::size_t index, const std::vector<double>& reached) {
    state = reached;
    search.time = times[index];
    search.at_rest = at_rest(reached);
  };
  request.stop_requested = [&] { return search.at_rest; };
  IntegrationStats stats;
  integrate_limit(derivative, moving, request, stats);
  return search;
}

}  // namespace attnlab
