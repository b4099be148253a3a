// Turning C++ exceptions into ABI statuses, inside the plugin.
#pragma once

#include <attnlab/plugin_abi.h>
#include <attnlab/sdk/params.hpp>

#include <algorithm>
#include <cstring>
#include <exception>
#include <string_view>

namespace attnlab {

// Copies `message` into the caller's buffer, truncated and NUL-terminated.
inline void write_error(attnlab_error_buffer error, std::string_view message) noexcept {
  if (error.text == nullptr || error.capacity == 0) return;
  const std::size_t n = std::min(message.size(), error.capacity - 1);
  std::memcpy(error.text, message.data(), n);
  error.text[n] = '\0';
}

// Runs `body`; any exception becomes ATTNLAB_ERROR with its message, so that
// no exception ever crosses the plugin boundary.
template <class Body>
attnlab_status guarded_call(attnlab_error_buffer error, Body&& body) noexcept {
  try {
    body();
    return ATTNLAB_OK;
  } catch (const std::exception& e) {
    write_error(error, e.what());
  } catch (...) {
    write_error(error, "unknown exception (not derived from std::exception)");
  }
  return ATTNLAB_ERROR;
}

// guarded_call for create: a ParamError (from Params, or the plugin's own
// check of a value) is ATTNLAB_ERROR, "invalid parameters" to the host; any
// other exception means the instance could not be made: ATTNLAB_START_FAILED.
template <class Body>
attnlab_status guarded_create(attnlab_error_buffer error, Body&& body) noexcept {
  bool bad_parameters = false;
  const attnlab_status status = guarded_call(error, [&] {
    try {
      body();
    } catch (const ParamError&) {
      bad_parameters = true;
      throw;
    }
  });
  return status == ATTNLAB_OK || bad_parameters ? status : ATTNLAB_START_FAILED;
}

}  // namespace attnlab
