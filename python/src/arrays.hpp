// NumPy array helpers shared by the plugin bindings.
#pragma once

#include <pybind11/numpy.h>

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace attnlab::python {

// C-contiguous float64 (converted from any numeric array).
using DoubleArray = pybind11::array_t<double, pybind11::array::c_style | pybind11::array::forcecast>;

inline std::span<const double> view(const DoubleArray& array) {
  return {array.data(), static_cast<std::size_t>(array.size())};
}

inline std::span<double> view(DoubleArray& array) {
  return {array.mutable_data(), static_cast<std::size_t>(array.size())};
}

}  // namespace attnlab::python
