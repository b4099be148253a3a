// The compiled half of the Python package attnlab (imported as
// attnlab._attnlab; attnlab/__init__.py is the public face).
#include "activation.hpp"
#include "checks.hpp"
#include "data_model.hpp"
#include "registry.hpp"
#include "runs.hpp"

#include <pybind11/pybind11.h>

PYBIND11_MODULE(_attnlab, module) {
  module.doc() = "attnlab's C++ side: child-process runs of the attnlab executable and in-process plugins";
  module.attr("BUILTIN_PLUGIN_RELDIR") = ATTNLAB_BUILTIN_PLUGIN_RELDIR;
  module.attr("VERSION") = ATTNLAB_VERSION;
  attnlab::python::bind_runs(module);
  attnlab::python::bind_registry(module);
  attnlab::python::bind_activation(module);
  attnlab::python::bind_data_model(module);
  attnlab::python::bind_checks(module);
}
