// attnlab's C++ exceptions as Python exceptions. The classes are defined in
// Python (attnlab/errors.py) so that runs in a child process, mapped in
// Python, raise the very same ones.
#pragma once

#include <attnlab/framework/common/errors.hpp>

#include <pybind11/pybind11.h>

#include <exception>
#include <string>

namespace attnlab::python {

enum class ErrorKind { Error, Config, Plugin, ResultsFolder };

// Sets attnlab.errors.<kind> with `message` and throws error_already_set.
[[noreturn]] void raise_error(ErrorKind kind, const std::string& message);

// Calls `work`, turning the host's exceptions into attnlab.Error subclasses.
// A UsageError means what the caller was doing went wrong: `usage_kind` says
// what that was (a plugin lookup, reading a config).
template <class Work>
decltype(auto) translate_errors(ErrorKind usage_kind, Work&& work) {
  try {
    return work();
  } catch (const pybind11::error_already_set&) {
    throw;
  } catch (const pybind11::builtin_exception&) {
    throw;
  } catch (const PluginLoadError& e) {
    raise_error(ErrorKind::Plugin, e.what());
  } catch (const PluginError& e) {
    raise_error(ErrorKind::Plugin, e.what());
  } catch (const UsageError& e) {
    raise_error(usage_kind, e.what());
  } catch (const std::exception& e) {
    raise_error(ErrorKind::Error, e.what());
  }
}

}  // namespace attnlab::python
