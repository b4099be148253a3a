// check_plugin of the Python module: `attnlab check-plugin`'s checks.
#pragma once

#include <pybind11/pybind11.h>

namespace attnlab::python {

void bind_checks(pybind11::module_& module);

}  // namespace attnlab::python
