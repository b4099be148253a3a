// The Activation class of the Python module.
#pragma once

#include <pybind11/pybind11.h>

namespace attnlab::python {

void bind_activation(pybind11::module_& module);

}  // namespace attnlab::python
