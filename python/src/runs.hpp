// Runs of the attnlab executable as a child process (compare, theory, sweep):
// a plugin that crashes takes down that process, never the Python one.
#pragma once

#include <pybind11/pybind11.h>

namespace attnlab::python {

// Adds run_command(executable, args, echo) -> (status, stdout, error_line).
void bind_runs(pybind11::module_& module);

}  // namespace attnlab::python
