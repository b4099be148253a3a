// Forward-mode dual numbers, for activations written as a forward pass only.
//
// A Dual<N> carries a value and N tangents (directional derivatives along N
// input directions at once). Every operation applies the chain rule to the
// tangents, so running a forward pass on duals seeded with unit tangents
// yields exact columns of its Jacobian — no step size, no truncation error.
// The SDK uses this to derive an activation's backward (see activation.hpp).
//
// Write the templated forward with unqualified math calls after
// `using namespace attnlab::math;` (or `using std::exp;` ...): for T = double
// they resolve to <cmath>, for duals to the overloads below (found by
// argument-dependent lookup).
//
// Branching on values is allowed (comparisons look at values only), so
// max-subtraction, clamping and piecewise functions differentiate like their
// active branch. Converting a dual to double with value() drops its
// derivative: the backward would then be wrong, and check-plugin says so.
#pragma once

#include <Eigen/Core>

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>

namespace attnlab {

template <int N>
struct Dual {
  static_assert(N >= 1, "a dual number needs at least one tangent");

  double v = 0.0;             // value
  std::array<double, N> d{};  // tangents: d[k] = dv / d(direction k)

  constexpr Dual() = default;
  constexpr Dual(double value) : v(value) {}  // NOLINT(google-explicit-constructor): constants mix in freely

  // Derivative rule for an elementwise function f with f(v) = value, f'(v) = slope.
  static Dual chain(const Dual& x, double value, double slope) {
    Dual r(value);
    for (int k = 0; k < N; ++k) r.d[k] = slope * x.d[k];
    return r;
  }

  // ---- arithmetic -------------------------------------------------------
  friend Dual operator+(const Dual& a) { return a; }
  friend Dual operator-(const Dual& a) { return chain(a, -a.v, -1.0); }

  friend Dual operator+(const Dual& a, const Dual& b) {
    Dual r(a.v + b.v);
    for (int k = 0; k < N; ++k) r.d[k] = a.d[k] + b.d[k];
    return r;
  }
  friend Dual operator-(const Dual& a, const Dual& b) {
    Dual r(a.v - b.v);
    for (int k = 0; k < N; ++k) r.d[k] = a.d[k] - b.d[k];
    return r;
  }
  friend Dual operator*(const Dual& a, const Dual& b) {
    Dual r(a.v * b.v);
    for (int k = 0; k < N; ++k) r.d[k] = a.d[k] * b.v + a.v * b.d[k];
    return r;
  }
  friend Dual operator/(const Dual& a, const Dual& b) {
    const double inverse = 1.0 / b.v;
    const double quotient = a.v * inverse;
    Dual r(quotient);
    for (int k = 0; k < N; ++k) r.d[k] = (a.d[k] - quotient * b.d[k]) * inverse;
    return r;
  }

  // Mixed with plain doubles: cheaper than promoting the constant.
  friend Dual operator+(const Dual& a, double b) {
    Dual r = a;
    r.v += b;
    return r;
  }
  friend Dual operator+(double a, const Dual& b) { return b + a; }
  friend Dual operator-(const Dual& a, double b) { return a + (-b); }
  friend Dual operator-(double a, const Dual& b) { return chain(b, a - b.v, -1.0); }
  friend Dual operator*(const Dual& a, double b) { return chain(a, a.v * b, b); }
  friend Dual operator*(double a, const Dual& b) { return chain(b, a * b.v, a); }
  friend Dual operator/(const Dual& a, double b) { return chain(a, a.v / b, 1.0 / b); }
  friend Dual operator/(double a, const Dual& b) {
    const double quotient = a / b.v;
    return chain(b, quotient, -quotient / b.v);
  }

  Dual& operator+=(const Dual& b) { return *this = *this + b; }
  Dual& operator-=(const Dual& b) { return *this = *this - b; }
  Dual& operator*=(const Dual& b) { return *this = *this * b; }
  Dual& operator/=(const Dual& b) { return *this = *this / b; }
  Dual& operator+=(double b) { return *this = *this + b; }
  Dual& operator-=(double b) { return *this = *this - b; }
  Dual& operator*=(double b) { return *this = *this * b; }
  Dual& operator/=(double b) { return *this = *this / b; }

  // ---- comparisons (on values) ------------------------------------------
  friend bool operator<(const Dual& a, const Dual& b) { return a.v < b.v; }
  friend bool operator>(const Dual& a, const Dual& b) { return a.v > b.v; }
  friend bool operator<=(const Dual& a, const Dual& b) { return a.v <= b.v; }
  friend bool operator>=(const Dual& a, const Dual& b) { return a.v >= b.v; }
  friend bool operator==(const Dual& a, const Dual& b) { return a.v == b.v; }
  friend bool operator!=(const Dual& a, const Dual& b) { return a.v != b.v; }

  // ---- elementary functions ---------------------------------------------
  friend Dual exp(const Dual& x) {
    const double e = std::exp(x.v);
    return chain(x, e, e);
  }
  friend Dual expm1(const Dual& x) { return chain(x, std::expm1(x.v), std::exp(x.v)); }
  friend Dual log(const Dual& x) { return chain(x, std::log(x.v), 1.0 / x.v); }
  friend Dual log1p(const Dual& x) { return chain(x, std::log1p(x.v), 1.0 / (1.0 + x.v)); }
  friend Dual sqrt(const Dual& x) {
    const double s = std::sqrt(x.v);
    return chain(x, s, 0.5 / s);
  }
  friend Dual pow(const Dual& x, double p) { return chain(x, std::pow(x.v, p), p * std::pow(x.v, p - 1.0)); }
  friend Dual tanh(const Dual& x) {
    const double t = std::tanh(x.v);
    return chain(x, t, 1.0 - t * t);
  }
  friend Dual erf(const Dual& x) {
    return chain(x, std::erf(x.v), 2.0 * std::numbers::inv_sqrtpi * std::exp(-x.v * x.v));
  }
  friend Dual sin(const Dual& x) { return chain(x, std::sin(x.v), std::cos(x.v)); }
  friend Dual cos(const Dual& x) { return chain(x, std::cos(x.v), -std::sin(x.v)); }
  // |x| and max/min follow the active branch; at a tie the first argument wins.
  friend Dual abs(const Dual& x) { return x.v < 0.0 ? -x : x; }
  friend Dual fabs(const Dual& x) { return abs(x); }
  friend Dual max(const Dual& a, const Dual& b) { return b.v > a.v ? b : a; }
  friend Dual min(const Dual& a, const Dual& b) { return b.v < a.v ? b : a; }
  friend bool isfinite(const Dual& x) { return std::isfinite(x.v); }
  friend bool isnan(const Dual& x) { return std::isnan(x.v); }
  friend bool isinf(const Dual& x) { return std::isinf(x.v); }
};

// The value of a double or of a dual (drops the derivative: use for
// decisions and diagnostics, never inside the differentiated result).
inline double value(double x) {
  return x;
}
template <int N>
double value(const Dual<N>& x) {
  return x.v;
}

// One using-directive gives a templated forward the same math names for
// doubles and duals.
namespace math {
using attnlab::value;
using std::abs;
using std::cos;
using std::erf;
using std::exp;
using std::expm1;
using std::fabs;
using std::isfinite;
using std::isinf;
using std::isnan;
using std::log;
using std::log1p;
using std::max;
using std::min;
using std::pow;
using std::sin;
using std::sqrt;
using std::tanh;
}  // namespace math

}  // namespace attnlab

// Lets Eigen matrices hold duals (Map<Matrix<Dual>>, row sums, maxCoeff ...).
namespace Eigen {

template <int N>
struct NumTraits<attnlab::Dual<N>> : GenericNumTraits<attnlab::Dual<N>> {
  using Real = attnlab::Dual<N>;
  using NonInteger = attnlab::Dual<N>;
  using Nested = attnlab::Dual<N>;
  using Literal = double;
  enum {
    IsComplex = 0,
    IsInteger = 0,
    IsSigned = 1,
    RequireInitialization = 1,
    ReadCost = N + 1,
    AddCost = N + 1,
    MulCost = 2 * N + 1,
  };
  static Real epsilon() { return Real(std::numeric_limits<double>::epsilon()); }
  static Real dummy_precision() { return Real(1e-12); }
  static Real highest() { return Real(std::numeric_limits<double>::max()); }
  static Real lowest() { return Real(std::numeric_limits<double>::lowest()); }
  static Real infinity() { return Real(std::numeric_limits<double>::infinity()); }
  static Real quiet_NaN() { return Real(std::numeric_limits<double>::quiet_NaN()); }
  static int digits10() { return std::numeric_limits<double>::digits10; }
};

template <int N, typename BinaryOp>
struct ScalarBinaryOpTraits<attnlab::Dual<N>, double, BinaryOp> {
  using ReturnType = attnlab::Dual<N>;
};

template <int N, typename BinaryOp>
struct ScalarBinaryOpTraits<double, attnlab::Dual<N>, BinaryOp> {
  using ReturnType = attnlab::Dual<N>;
};

}  // namespace Eigen
