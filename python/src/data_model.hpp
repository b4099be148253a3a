// The DataModel class of the Python module, and the Bayes risk of a config.
#pragma once

#include <pybind11/pybind11.h>

namespace attnlab::python {

void bind_data_model(pybind11::module_& module);

}  // namespace attnlab::python
