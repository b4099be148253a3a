// The SDK's dual numbers: every elementary rule against its closed-form
// derivative and against central differences of the double function, lanes
// independent of each other, and Eigen matrices of duals.
#include <attnlab/sdk/dual.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

using Dual1 = attnlab::Dual<1>;
using Dual3 = attnlab::Dual<3>;

namespace {

// x seeded along lane `lane` (of 3).
Dual3 seeded(double x, int lane) {
  Dual3 d(x);
  d.d[lane] = 1.0;
  return d;
}

struct Rule {
  std::string name;
  std::function<Dual1(const Dual1&)> dual;
  std::function<double(double)> plain;
  std::function<double(double)> derivative;  // closed form
  std::vector<double> points;
};

std::vector<Rule> rules() {
  using namespace attnlab::math;
  const std::vector<double> anywhere = {-2.3, -0.4, 0.0, 0.7, 3.1};
  const std::vector<double> positive = {0.05, 0.6, 1.0, 4.2};
  return {
      {"exp", [](const Dual1& x) { return exp(x); }, [](double x) { return std::exp(x); },
       [](double x) { return std::exp(x); }, anywhere},
      {"expm1", [](const Dual1& x) { return expm1(x); }, [](double x) { return std::expm1(x); },
       [](double x) { return std::exp(x); }, anywhere},
      {"log", [](const Dual1& x) { return log(x); }, [](double x) { return std::log(x); },
       [](double x) { return 1.0 / x; }, positive},
      {"log1p", [](const Dual1& x) { return log1p(x); }, [](double x) { return std::log1p(x); },
       [](double x) { return 1.0 / (1.0 + x); }, positive},
      {"sqrt", [](const Dual1& x) { return sqrt(x); }, [](double x) { return std::sqrt(x); },
       [](double x) { return 0.5 / std::sqrt(x); }, positive},
      {"pow 2.5", [](const Dual1& x) { return pow(x, 2.5); }, [](double x) { return std::pow(x, 2.5); },
       [](double x) { return 2.5 * std::pow(x, 1.5); }, positive},
      {"tanh", [](const Dual1& x) { return tanh(x); }, [](double x) { return std::tanh(x); },
       [](double x) { return 1.0 / (std::cosh(x) * std::cosh(x)); }, anywhere},
      {"erf", [](const Dual1& x) { return erf(x); }, [](double x) { return std::erf(x); },
       [](double x) { return 2.0 / std::sqrt(M_PI) * std::exp(-x * x); }, anywhere},
      {"sin", [](const Dual1& x) { return sin(x); }, [](double x) { return std::sin(x); },
       [](double x) { return std::cos(x); }, anywhere},
      {"cos", [](const Dual1& x) { return cos(x); }, [](double x) { return std::cos(x); },
       [](double x) { return -std::sin(x); }, anywhere},
      {"abs",
       [](const Dual1& x) { return abs(x); },
       [](double x) { return std::abs(x); },
       [](double x) { return x < 0 ? -1.0 : 1.0; },
       {-2.3, -0.4, 0.7, 3.1}},
      // A plain constant mixes in: authors write max(x, 0.5), as for doubles.
      {"max(x, 0.5)",
       [](const Dual1& x) { return max(x, 0.5); },
       [](double x) { return std::max(x, 0.5); },
       [](double x) { return x > 0.5 ? 1.0 : 0.0; },
       {-2.3, -0.4, 0.7, 3.1}},
      {"min(0.5, x)",
       [](const Dual1& x) { return min(0.5, x); },
       [](double x) { return std::min(0.5, x); },
       [](double x) { return x < 0.5 ? 1.0 : 0.0; },
       {-2.3, -0.4, 0.7, 3.1}},
      {"1 / (1 + exp(-x))", [](const Dual1& x) { return 1.0 / (1.0 + exp(-x)); },
       [](double x) { return 1.0 / (1.0 + std::exp(-x)); },
       [](double x) {
         const double s = 1.0 / (1.0 + std::exp(-x));
         return s * (1.0 - s);
       },
       anywhere},
      {"(x * x - 3) / (2 - x)", [](const Dual1& x) { return (x * x - 3.0) / (2.0 - x); },
       [](double x) { return (x * x - 3.0) / (2.0 - x); },
       [](double x) { return (2.0 * x * (2.0 - x) + (x * x - 3.0)) / ((2.0 - x) * (2.0 - x)); }, anywhere},
  };
}

}  // namespace

TEST_CASE("each dual rule gives the closed-form derivative", "[dual]") {
  // Forward mode is exact up to rounding: a few ulps of the derivative.
  for (const Rule& rule : rules()) {
    for (double x : rule.points) {
      INFO(rule.name << " at " << x);
      Dual1 input(x);
      input.d[0] = 1.0;
      const Dual1 output = rule.dual(input);
      CHECK(output.v == rule.plain(x));
      CHECK(output.d[0] == Approx(rule.derivative(x)).epsilon(1e-14).margin(1e-15));
    }
  }
}

TEST_CASE("each dual rule agrees with central differences of the double function", "[dual]") {
  // Independent of the closed forms above: truncation h^2 |f'''| / 6 ~ 1e-10
  // plus rounding eps |f| / h ~ 1e-11, so 1e-7 is a loose but meaningful bound.
  constexpr double h = 1e-5;
  for (const Rule& rule : rules()) {
    for (double x : rule.points) {
      INFO(rule.name << " at " << x);
      Dual1 input(x);
      input.d[0] = 1.0;
      const double numeric = (rule.plain(x + h) - rule.plain(x - h)) / (2.0 * h);
      CHECK(rule.dual(input).d[0] == Approx(numeric).epsilon(1e-7).margin(1e-7));
    }
  }
}

TEST_CASE("lanes carry independent partial derivatives", "[dual]") {
  using namespace attnlab::math;
  const Dual3 a = seeded(1.3, 0);
  const Dual3 b = seeded(-0.7, 1);
  const Dual3 c = seeded(2.1, 2);
  // f = a * b / c + exp(a - c) - b
  const Dual3 f = a * b / c + exp(a - c) - b;
  const double e = std::exp(1.3 - 2.1);
  CHECK(f.v == Approx(1.3 * -0.7 / 2.1 + e - -0.7).epsilon(1e-15));
  CHECK(f.d[0] == Approx(-0.7 / 2.1 + e).epsilon(1e-14));
  CHECK(f.d[1] == Approx(1.3 / 2.1 - 1.0).epsilon(1e-14));
  CHECK(f.d[2] == Approx(-1.3 * -0.7 / (2.1 * 2.1) - e).epsilon(1e-14));
}

TEST_CASE("comparisons look at values and value() drops the derivative", "[dual]") {
  const Dual3 a = seeded(1.0, 0);
  const Dual3 b = seeded(2.0, 1);
  CHECK(a < b);
  CHECK(b > 1.5);
  CHECK(0.5 < a);
  CHECK_FALSE(a == b);
  CHECK(attnlab::value(a * b) == 2.0);
  const Dual3 detached(attnlab::value(a * b));
  CHECK(detached.d == std::array<double, 3>{0.0, 0.0, 0.0});
}

TEST_CASE("Eigen matrices of duals: a row softmax has the softmax Jacobian", "[dual][eigen]") {
  using namespace attnlab::math;
  using Row = Eigen::Matrix<Dual3, 1, Eigen::Dynamic>;
  Row s(3);
  s << seeded(0.3, 0), seeded(-1.2, 1), seeded(0.8, 2);
  const Dual3 shift = s.maxCoeff();
  Row a = s.unaryExpr([&](const Dual3& x) { return exp(x - shift); });
  a /= a.sum();
  a = a * 1.0;  // mixing with a double scalar compiles and is exact
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      const double expected = a(i).v * ((i == j ? 1.0 : 0.0) - a(j).v);
      INFO("dA_" << i << " / ds_" << j);
      CHECK(a(i).d[j] == Approx(expected).epsilon(1e-14).margin(1e-16));
    }
  }
  CHECK(a.sum().v == Approx(1.0).epsilon(1e-15));
}
