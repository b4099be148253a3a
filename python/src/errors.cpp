#include "errors.hpp"

namespace attnlab::python {
namespace {

const char* class_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Config:
      return "ConfigError";
    case ErrorKind::Plugin:
      return "PluginError";
    case ErrorKind::ResultsFolder:
      return "ResultsFolderError";
    case ErrorKind::Error:
      break;
  }
  return "Error";
}

}  // namespace

void raise_error(ErrorKind kind, const std::string& message) {
  const pybind11::object type = pybind11::module_::import("attnlab.errors").attr(class_name(kind));
  PyErr_SetObject(type.ptr(), pybind11::str(message).ptr());
  throw pybind11::error_already_set();
}

}  // namespace attnlab::python
