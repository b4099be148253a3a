// The math names a templated forward uses, the same for every scalar type.
//
// Write the templated forward with unqualified math calls after
// `using namespace attnlab::math;`: for T = double they resolve to <cmath>,
// for the SDK's differentiating scalars (tape.hpp, dual.hpp) to their
// overloads, found by argument-dependent lookup.
#pragma once

#include <algorithm>
#include <cmath>

namespace attnlab {

// The value of a double or of a differentiating scalar (drops the
// derivative: use for decisions and diagnostics, never inside the
// differentiated result). The other scalars declare their overloads beside
// themselves.
inline double value(double x) {
  return x;
}

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
