// Reverse-mode differentiation: a scalar that records its evaluation.
//
// A Taped value carries its value and the index of the tape node that made
// it. Every operation on a value that depends on the inputs appends one node
// holding its (at most two) operands and the partial derivatives with respect
// to them. After the evaluation, one sweep from the last node to the first
// (Tape::propagate) turns the adjoints of the outputs into those of every
// input: a whole vector-Jacobian product for about the cost of the recorded
// evaluation, whatever the structure of the Jacobian. The SDK uses this to
// derive an activation's backward (derived_backward.hpp).
//
// The operations and math names are the same as Dual's (dual.hpp), so a
// templated forward written for one compiles with the other. Comparisons
// look at values only, so branches differentiate like the branch taken.
#pragma once

#include <attnlab/sdk/math.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <vector>

namespace attnlab {

class Tape {
 public:
  // One recorded operation: result = f(node a, node b), with partials da, db.
  // A constant operand points at node 0, the sink, whose adjoint is never
  // read; a unary operation at itself (see record).
  // The partials are not adjacent on purpose: next to each other, the
  // compiler packed them through the stack into one 16-byte store, which
  // then waited for the two 8-byte stores it read (a failed store-to-load
  // forward on every node, a quarter of the recording time).
  struct Node {
    double da;
    std::int32_t a;
    std::int32_t b;
    double db;
  };

  Tape() { clear(); }

  // Forgets the recorded nodes; keeps the memory, so reuse does not allocate.
  void clear() {
    if (nodes_.empty()) grow();
    nodes_[0] = {0.0, 0, 0, 0.0};
    size_ = 1;
    leaves_ = 1;
  }

  // Appends a node. The count is kept apart from the vector (whose size is
  // the capacity): recording is the hot path of a derived backward.
  std::int32_t record(std::int32_t a, double da, std::int32_t b, double db) {
    if (size_ == static_cast<std::int32_t>(capacity_)) grow();
    nodes_[static_cast<std::size_t>(size_)] = {da, a, b, db};
    return size_++;
  }

  // A node with one operand. Its second operand is the node itself, with a
  // zero partial: the sweep adds 0 to a slot it has already read, instead of
  // branching on the arity or chaining every unary node through one slot.
  std::int32_t record(std::int32_t a, double da) { return record(a, da, size_, 0.0); }

  // `count` new independent variables (inputs of the evaluation), numbered
  // from the returned index on. They must come before every operation: then
  // they need no recorded partials, and the sweep stops where they begin.
  std::int32_t inputs(std::int32_t count) {
    if (size_ != leaves_) throw std::logic_error("tape inputs must be created before any operation is recorded");
    while (static_cast<std::size_t>(size_ + count) > capacity_) grow();
    const std::int32_t first = size_;
    size_ += count;
    leaves_ = size_;
    return first;
  }
  std::int32_t input() { return inputs(1); }

  std::size_t size() const { return static_cast<std::size_t>(size_); }

  // adjoint[i] holds d(objective)/d(node i) for the outputs on entry and for
  // every node on return.
  //
  // Most nodes feed the node recorded right after them (x -> exp(x) -> sum),
  // so the sweep would read each adjoint right after storing into it and
  // wait for the store on every node. What a node adds to its predecessor
  // stays in a register (`pending`) instead, and joins that node's adjoint
  // when the sweep reaches it.
  void propagate(std::vector<double>& adjoint) const {
    double* const adjoints = adjoint.data();
    double pending = 0.0;
    for (std::int32_t i = size_ - 1; i >= leaves_; --i) {
      const double g = adjoints[i] + pending;
      adjoints[i] = g;
      pending = 0.0;
      const Node& node = nodes_[static_cast<std::size_t>(i)];
      const double ga = node.da * g;
      const double gb = node.db * g;
      if (node.a == i - 1) {
        pending += ga;
      } else {
        adjoints[node.a] += ga;
      }
      if (node.b == i - 1) {
        pending += gb;
      } else {
        adjoints[node.b] += gb;
      }
    }
    adjoints[leaves_ - 1] += pending;
  }

 private:
  void grow() {
    nodes_.resize(std::max<std::size_t>(256, 2 * nodes_.size()));
    capacity_ = nodes_.size();
  }

  std::vector<Node> nodes_;  // its size is the capacity
  std::size_t capacity_ = 0;
  std::int32_t size_ = 0;
  std::int32_t leaves_ = 0;  // nodes below are the sink and the inputs
};

struct Taped {
  double v = 0.0;
  std::int32_t index = 0;  // the node that made the value; 0 for a constant
  Tape* tape = nullptr;    // null for a constant

  constexpr Taped() = default;
  constexpr Taped(double value) : v(value) {}  // NOLINT(google-explicit-constructor): constants mix in freely
  Taped(double value, std::int32_t node, Tape* on) : v(value), index(node), tape(on) {}

  // Result of an elementwise function f with f(v) = value, f'(v) = slope.
  static Taped chain(const Taped& x, double value, double slope) {
    if (x.tape == nullptr) return Taped(value);
    return {value, x.tape->record(x.index, slope), x.tape};
  }
  // Result of a binary function with partials da, db.
  static Taped chain(const Taped& a, const Taped& b, double value, double da, double db) {
    Tape* tape = a.tape != nullptr ? a.tape : b.tape;
    if (tape == nullptr) return Taped(value);
    return {value, tape->record(a.index, da, b.index, db), tape};
  }

  // ---- arithmetic -------------------------------------------------------
  friend Taped operator+(const Taped& a) { return a; }
  friend Taped operator-(const Taped& a) { return chain(a, -a.v, -1.0); }
  friend Taped operator+(const Taped& a, const Taped& b) { return chain(a, b, a.v + b.v, 1.0, 1.0); }
  friend Taped operator-(const Taped& a, const Taped& b) { return chain(a, b, a.v - b.v, 1.0, -1.0); }
  friend Taped operator*(const Taped& a, const Taped& b) { return chain(a, b, a.v * b.v, b.v, a.v); }
  friend Taped operator/(const Taped& a, const Taped& b) {
    const double inverse = 1.0 / b.v;
    const double quotient = a.v * inverse;
    return chain(a, b, quotient, inverse, -quotient * inverse);
  }

  // Mixed with plain doubles: one operand to record instead of two.
  friend Taped operator+(const Taped& a, double b) { return chain(a, a.v + b, 1.0); }
  friend Taped operator+(double a, const Taped& b) { return chain(b, a + b.v, 1.0); }
  friend Taped operator-(const Taped& a, double b) { return chain(a, a.v - b, 1.0); }
  friend Taped operator-(double a, const Taped& b) { return chain(b, a - b.v, -1.0); }
  friend Taped operator*(const Taped& a, double b) { return chain(a, a.v * b, b); }
  friend Taped operator*(double a, const Taped& b) { return chain(b, a * b.v, a); }
  friend Taped operator/(const Taped& a, double b) { return chain(a, a.v / b, 1.0 / b); }
  friend Taped operator/(double a, const Taped& b) {
    const double quotient = a / b.v;
    return chain(b, quotient, -quotient / b.v);
  }

  Taped& operator+=(const Taped& b) { return *this = *this + b; }
  Taped& operator-=(const Taped& b) { return *this = *this - b; }
  Taped& operator*=(const Taped& b) { return *this = *this * b; }
  Taped& operator/=(const Taped& b) { return *this = *this / b; }
  Taped& operator+=(double b) { return *this = *this + b; }
  Taped& operator-=(double b) { return *this = *this - b; }
  Taped& operator*=(double b) { return *this = *this * b; }
  Taped& operator/=(double b) { return *this = *this / b; }

  // ---- comparisons (on values) ------------------------------------------
  friend bool operator<(const Taped& a, const Taped& b) { return a.v < b.v; }
  friend bool operator>(const Taped& a, const Taped& b) { return a.v > b.v; }
  friend bool operator<=(const Taped& a, const Taped& b) { return a.v <= b.v; }
  friend bool operator>=(const Taped& a, const Taped& b) { return a.v >= b.v; }
  friend bool operator==(const Taped& a, const Taped& b) { return a.v == b.v; }
  friend bool operator!=(const Taped& a, const Taped& b) { return a.v != b.v; }

  // ---- elementary functions ---------------------------------------------
  friend Taped exp(const Taped& x) {
    const double e = std::exp(x.v);
    return chain(x, e, e);
  }
  friend Taped expm1(const Taped& x) { return chain(x, std::expm1(x.v), std::exp(x.v)); }
  friend Taped log(const Taped& x) { return chain(x, std::log(x.v), 1.0 / x.v); }
  friend Taped log1p(const Taped& x) { return chain(x, std::log1p(x.v), 1.0 / (1.0 + x.v)); }
  friend Taped sqrt(const Taped& x) {
    const double s = std::sqrt(x.v);
    return chain(x, s, 0.5 / s);
  }
  friend Taped pow(const Taped& x, double p) { return chain(x, std::pow(x.v, p), p * std::pow(x.v, p - 1.0)); }
  friend Taped tanh(const Taped& x) {
    const double t = std::tanh(x.v);
    return chain(x, t, 1.0 - t * t);
  }
  friend Taped erf(const Taped& x) {
    return chain(x, std::erf(x.v), 2.0 * std::numbers::inv_sqrtpi * std::exp(-x.v * x.v));
  }
  friend Taped sin(const Taped& x) { return chain(x, std::sin(x.v), std::cos(x.v)); }
  friend Taped cos(const Taped& x) { return chain(x, std::cos(x.v), -std::sin(x.v)); }
  // |x| and max/min follow the active branch; at a tie the first argument wins.
  friend Taped abs(const Taped& x) { return x.v < 0.0 ? -x : x; }
  friend Taped fabs(const Taped& x) { return abs(x); }
  friend Taped max(const Taped& a, const Taped& b) { return b.v > a.v ? b : a; }
  friend Taped min(const Taped& a, const Taped& b) { return b.v < a.v ? b : a; }
  friend bool isfinite(const Taped& x) { return std::isfinite(x.v); }
  friend bool isnan(const Taped& x) { return std::isnan(x.v); }
  friend bool isinf(const Taped& x) { return std::isinf(x.v); }
};

// Drops the derivative (see math.hpp).
inline double value(const Taped& x) {
  return x.v;
}

}  // namespace attnlab

// Lets Eigen matrices hold taped values (Map<Matrix<Taped>>, row sums, maxCoeff ...).
namespace Eigen {

template <>
struct NumTraits<attnlab::Taped> : GenericNumTraits<attnlab::Taped> {
  using Real = attnlab::Taped;
  using NonInteger = attnlab::Taped;
  using Nested = attnlab::Taped;
  using Literal = double;
  enum {
    IsComplex = 0,
    IsInteger = 0,
    IsSigned = 1,
    RequireInitialization = 1,
    ReadCost = 2,
    AddCost = 4,
    MulCost = 4,
  };
  static Real epsilon() { return Real(std::numeric_limits<double>::epsilon()); }
  static Real dummy_precision() { return Real(1e-12); }
  static Real highest() { return Real(std::numeric_limits<double>::max()); }
  static Real lowest() { return Real(std::numeric_limits<double>::lowest()); }
  static Real infinity() { return Real(std::numeric_limits<double>::infinity()); }
  static Real quiet_NaN() { return Real(std::numeric_limits<double>::quiet_NaN()); }
  static int digits10() { return std::numeric_limits<double>::digits10; }
};

template <typename BinaryOp>
struct ScalarBinaryOpTraits<attnlab::Taped, double, BinaryOp> {
  using ReturnType = attnlab::Taped;
};

template <typename BinaryOp>
struct ScalarBinaryOpTraits<double, attnlab::Taped, BinaryOp> {
  using ReturnType = attnlab::Taped;
};

}  // namespace Eigen
