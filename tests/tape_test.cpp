// The SDK's taped scalar (reverse mode): every elementary rule against its
// closed-form derivative and against central differences of the double
// function, several inputs at once, shared subexpressions, constants, and
// Eigen matrices of taped values.
#include <attnlab/sdk/tape.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

using attnlab::Tape;
using attnlab::Taped;

namespace {

// f(x) and df/dx by one reverse sweep.
struct Derivative {
  double value;
  double slope;
};

Derivative differentiate(const std::function<Taped(const Taped&)>& f, double x) {
  Tape tape;
  const Taped input(x, tape.input(), &tape);
  const Taped output = f(input);
  std::vector<double> adjoint(tape.size(), 0.0);
  adjoint[static_cast<std::size_t>(output.index)] = 1.0;
  tape.propagate(adjoint);
  return {output.v, adjoint[static_cast<std::size_t>(input.index)]};
}

// The gradient of f at xs by one reverse sweep.
std::vector<double> gradient(const std::function<Taped(const std::vector<Taped>&)>& f, const std::vector<double>& xs) {
  Tape tape;
  std::vector<Taped> inputs;
  for (double x : xs) inputs.emplace_back(x, tape.input(), &tape);
  const Taped output = f(inputs);
  std::vector<double> adjoint(tape.size(), 0.0);
  adjoint[static_cast<std::size_t>(output.index)] = 1.0;
  tape.propagate(adjoint);
  std::vector<double> result;
  for (const Taped& input : inputs) result.push_back(adjoint[static_cast<std::size_t>(input.index)]);
  return result;
}

struct Rule {
  std::string name;
  std::function<Taped(const Taped&)> taped;
  std::function<double(double)> plain;
  std::function<double(double)> derivative;  // closed form
  std::vector<double> points;
};

std::vector<Rule> rules() {
  using namespace attnlab::math;
  const std::vector<double> anywhere = {-2.3, -0.4, 0.0, 0.7, 3.1};
  const std::vector<double> positive = {0.05, 0.6, 1.0, 4.2};
  return {
      {"exp", [](const Taped& x) { return exp(x); }, [](double x) { return std::exp(x); },
       [](double x) { return std::exp(x); }, anywhere},
      {"expm1", [](const Taped& x) { return expm1(x); }, [](double x) { return std::expm1(x); },
       [](double x) { return std::exp(x); }, anywhere},
      {"log", [](const Taped& x) { return log(x); }, [](double x) { return std::log(x); },
       [](double x) { return 1.0 / x; }, positive},
      {"log1p", [](const Taped& x) { return log1p(x); }, [](double x) { return std::log1p(x); },
       [](double x) { return 1.0 / (1.0 + x); }, positive},
      {"sqrt", [](const Taped& x) { return sqrt(x); }, [](double x) { return std::sqrt(x); },
       [](double x) { return 0.5 / std::sqrt(x); }, positive},
      {"pow 2.5", [](const Taped& x) { return pow(x, 2.5); }, [](double x) { return std::pow(x, 2.5); },
       [](double x) { return 2.5 * std::pow(x, 1.5); }, positive},
      {"tanh", [](const Taped& x) { return tanh(x); }, [](double x) { return std::tanh(x); },
       [](double x) { return 1.0 / (std::cosh(x) * std::cosh(x)); }, anywhere},
      {"erf", [](const Taped& x) { return erf(x); }, [](double x) { return std::erf(x); },
       [](double x) { return 2.0 / std::sqrt(M_PI) * std::exp(-x * x); }, anywhere},
      {"sin", [](const Taped& x) { return sin(x); }, [](double x) { return std::sin(x); },
       [](double x) { return std::cos(x); }, anywhere},
      {"cos", [](const Taped& x) { return cos(x); }, [](double x) { return std::cos(x); },
       [](double x) { return -std::sin(x); }, anywhere},
      {"abs",
       [](const Taped& x) { return abs(x); },
       [](double x) { return std::abs(x); },
       [](double x) { return x < 0 ? -1.0 : 1.0; },
       {-2.3, -0.4, 0.7, 3.1}},
      // A plain constant mixes in: authors write max(x, 0.5), as for doubles.
      {"max(x, 0.5)",
       [](const Taped& x) { return max(x, 0.5); },
       [](double x) { return std::max(x, 0.5); },
       [](double x) { return x > 0.5 ? 1.0 : 0.0; },
       {-2.3, -0.4, 0.7, 3.1}},
      {"min(0.5, x)",
       [](const Taped& x) { return min(0.5, x); },
       [](double x) { return std::min(0.5, x); },
       [](double x) { return x < 0.5 ? 1.0 : 0.0; },
       {-2.3, -0.4, 0.7, 3.1}},
      {"1 / (1 + exp(-x))", [](const Taped& x) { return 1.0 / (1.0 + exp(-x)); },
       [](double x) { return 1.0 / (1.0 + std::exp(-x)); },
       [](double x) {
         const double s = 1.0 / (1.0 + std::exp(-x));
         return s * (1.0 - s);
       },
       anywhere},
      {"(x * x - 3) / (2 - x)", [](const Taped& x) { return (x * x - 3.0) / (2.0 - x); },
       [](double x) { return (x * x - 3.0) / (2.0 - x); },
       [](double x) { return (2.0 * x * (2.0 - x) + (x * x - 3.0)) / ((2.0 - x) * (2.0 - x)); }, anywhere},
  };
}

}  // namespace

TEST_CASE("each taped rule gives the closed-form derivative", "[tape]") {
  // Reverse mode is exact up to rounding: a few ulps of the derivative.
  for (const Rule& rule : rules()) {
    for (double x : rule.points) {
      INFO(rule.name << " at " << x);
      const Derivative d = differentiate(rule.taped, x);
      CHECK(d.value == rule.plain(x));
      CHECK(d.slope == Approx(rule.derivative(x)).epsilon(1e-14).margin(1e-15));
    }
  }
}

TEST_CASE("each taped rule agrees with central differences of the double function", "[tape]") {
  // Independent of the closed forms above: truncation h^2 |f'''| / 6 ~ 1e-10
  // plus rounding eps |f| / h ~ 1e-11, so 1e-7 is a loose but meaningful bound.
  constexpr double h = 1e-5;
  for (const Rule& rule : rules()) {
    for (double x : rule.points) {
      INFO(rule.name << " at " << x);
      const double numeric = (rule.plain(x + h) - rule.plain(x - h)) / (2.0 * h);
      CHECK(differentiate(rule.taped, x).slope == Approx(numeric).epsilon(1e-7).margin(1e-7));
    }
  }
}

TEST_CASE("one sweep gives every partial derivative, shared subexpressions summed", "[tape]") {
  // f = a * b / c + exp(a - c) - b: a, b and c each used twice.
  const auto f = [](const std::vector<Taped>& x) {
    using namespace attnlab::math;
    return x[0] * x[1] / x[2] + exp(x[0] - x[2]) - x[1];
  };
  const std::vector<double> g = gradient(f, {1.3, -0.7, 2.1});
  const double e = std::exp(1.3 - 2.1);
  CHECK(g[0] == Approx(-0.7 / 2.1 + e).epsilon(1e-14));
  CHECK(g[1] == Approx(1.3 / 2.1 - 1.0).epsilon(1e-14));
  CHECK(g[2] == Approx(-1.3 * -0.7 / (2.1 * 2.1) - e).epsilon(1e-14));
  // x * x: both operands are the same node; the sweep adds both partials.
  CHECK(gradient([](const std::vector<Taped>& x) { return x[0] * x[0]; }, {1.5})[0] == 3.0);
}

TEST_CASE("constants record nothing and value() drops the derivative", "[tape]") {
  Tape tape;
  const Taped a(1.0, tape.input(), &tape);
  const Taped b(2.0, tape.input(), &tape);
  const std::size_t recorded = tape.size();
  const Taped constant = Taped(3.0) * 2.0 + 1.0;
  CHECK(constant.tape == nullptr);
  CHECK(constant.v == 7.0);
  CHECK(tape.size() == recorded);
  CHECK(a < b);
  CHECK(b > 1.5);
  CHECK(0.5 < a);
  CHECK_FALSE(a == b);
  CHECK(attnlab::value(a * b) == 2.0);
  const Taped detached(attnlab::value(a * b));
  CHECK(detached.tape == nullptr);
}

TEST_CASE("Eigen matrices of taped values: a row softmax has the softmax Jacobian", "[tape][eigen]") {
  using Row = Eigen::Matrix<Taped, 1, Eigen::Dynamic>;
  const std::vector<double> s0 = {0.3, -1.2, 0.8};
  double total = 0.0;
  for (double s : s0) total += std::exp(s);
  const auto softmax = [&](int k) { return std::exp(s0[static_cast<std::size_t>(k)]) / total; };
  for (int i = 0; i < 3; ++i) {
    const auto component = [i](const std::vector<Taped>& x) {
      using namespace attnlab::math;
      Row s(3);
      s << x[0], x[1], x[2];
      const Taped shift = s.maxCoeff();
      Row a = s.unaryExpr([&](const Taped& v) { return exp(v - shift); });
      a /= a.sum();
      a = a * 1.0;  // mixing with a double scalar compiles and is exact
      return a(i);
    };
    const std::vector<double> row = gradient(component, s0);
    for (int j = 0; j < 3; ++j) {
      INFO("dA_" << i << " / ds_" << j);
      const double expected = softmax(i) * ((i == j ? 1.0 : 0.0) - softmax(j));
      CHECK(row[static_cast<std::size_t>(j)] == Approx(expected).epsilon(1e-14).margin(1e-16));
    }
  }
}
