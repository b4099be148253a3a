// Both integrators against closed-form solutions: a stiff linear system and
// the logistic equation; and how they fail.
#include <attnlab/framework/theory/limit_integrator.hpp>

#include <Eigen/Dense>
#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace {

using namespace attnlab;

// y' = A y with eigenvalues -0.05 and -20: stiff over t = 100.
Eigen::Matrix2d stiff_matrix() {
  Eigen::Matrix2d v;
  v << 1.0, 1.0, 0.5, -1.0;
  return v * Eigen::Vector2d(-0.05, -20.0).asDiagonal() * v.inverse();
}

Eigen::Vector2d exact_linear(double t) {
  const Eigen::Matrix2d v = (Eigen::Matrix2d() << 1.0, 1.0, 0.5, -1.0).finished();
  const Eigen::Vector2d y0(1.0, 2.0);
  const Eigen::Vector2d c = v.inverse() * y0;
  return v * Eigen::Vector2d(c[0] * std::exp(-0.05 * t), c[1] * std::exp(-20.0 * t));
}

}  // namespace

TEST_CASE("integrators follow a stiff linear system's closed form, the Rosenbrock one at a third of the cost") {
  const Eigen::Matrix2d a = stiff_matrix();
  const LimitRhs rhs = [&](double, const std::vector<double>& y, std::vector<double>& dy) {
    const Eigen::Vector2d r = a * Eigen::Vector2d(y[0], y[1]);
    dy = {r[0], r[1]};
  };
  const std::vector<double> times{0.0, 0.5, 3.0, 10.0, 40.0, 100.0};
  IntegrationStats stats[2];
  for (int method = 0; method < 2; ++method) {
    std::vector<double> y{1.0, 2.0};
    double worst = 0.0;
    IntegrationRequest request;
    request.method = method == 0 ? LimitIntegrator::Rosenbrock : LimitIntegrator::Rk45;
    request.times = times;
    request.tolerance = 1e-4;
    std::size_t reported = 0;
    request.at_time = [&](std::size_t index, const std::vector<double>& state) {
      CHECK(index == reported++);
      const Eigen::Vector2d exact = exact_linear(times[index]);
      worst = std::max({worst, std::abs(state[0] - exact[0]), std::abs(state[1] - exact[1])});
    };
    REQUIRE(integrate_limit(rhs, y, request, stats[method]));
    CHECK(reported == times.size());
    INFO("method " << method << ": " << stats[method].accepted << " steps, largest error " << worst);
    // Per-step tolerance 1e-4 on a contracting system.
    CHECK(worst < 1e-3);
  }
  // Explicit steps are held near 3.3 / 20 for the whole span; implicit ones are not.
  CHECK(stats[1].accepted > 500);
  // What a step costs is its evaluations of the right-hand side (the
  // Monte Carlo expectation, in the limit): 2 per Rosenbrock step plus a
  // Jacobian now and then, 6 per Dormand-Prince step.
  INFO("evaluations: Rosenbrock " << stats[0].evaluations << ", RK45 " << stats[1].evaluations);
  CHECK(stats[0].evaluations * 3 < stats[1].evaluations);
}

TEST_CASE("integrators follow the logistic equation to its closed form") {
  const LimitRhs rhs = [](double, const std::vector<double>& y, std::vector<double>& dy) {
    dy = {y[0] * (1.0 - y[0])};
  };
  for (const auto method : {LimitIntegrator::Rosenbrock, LimitIntegrator::Rk45}) {
    std::vector<double> y{0.01};
    const std::vector<double> times{2.0, 5.0, 8.0, 15.0};
    IntegrationRequest request;
    request.method = method;
    request.times = times;
    request.tolerance = 1e-7;
    request.at_time = [&](std::size_t index, const std::vector<double>& state) {
      const double t = times[index];
      const double exact = 0.01 * std::exp(t) / (1.0 - 0.01 + 0.01 * std::exp(t));
      CHECK(std::abs(state[0] - exact) < 2e-5);
    };
    IntegrationStats stats;
    REQUIRE(integrate_limit(rhs, y, request, stats));
    CHECK(stats.evaluations > stats.accepted);
  }
}

TEST_CASE("integrators refuse a non-finite rate and stop when asked") {
  for (const auto method : {LimitIntegrator::Rosenbrock, LimitIntegrator::Rk45}) {
    // Finite-time blow-up at t = 1: y' = y^2 from y = 1.
    const LimitRhs blow_up = [](double, const std::vector<double>& y, std::vector<double>& dy) { dy = {y[0] * y[0]}; };
    std::vector<double> y{1.0};
    const std::vector<double> times{2.0};
    IntegrationRequest request;
    request.method = method;
    request.times = times;
    IntegrationStats stats;
    CHECK_THROWS_AS(integrate_limit(blow_up, y, request, stats), std::runtime_error);

    const LimitRhs decay = [](double, const std::vector<double>& x, std::vector<double>& dy) { dy = {-x[0]}; };
    std::vector<double> z{1.0};
    const std::vector<double> far{1000.0};
    IntegrationRequest stopping;
    stopping.method = method;
    stopping.times = far;
    int calls = 0;
    stopping.stop_requested = [&] { return ++calls >= 3; };
    IntegrationStats stop_stats;
    CHECK_FALSE(integrate_limit(decay, z, stopping, stop_stats));
    CHECK(stop_stats.accepted == 3);
  }
}
