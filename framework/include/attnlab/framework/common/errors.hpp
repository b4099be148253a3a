// Exceptions the host throws; each message is one line naming the culprit.
#pragma once

#include <stdexcept>

namespace attnlab {

// A plugin file could not be accepted (missing, not a library, bad descriptor…).
class PluginLoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The file is a valid plugin, but another file already provides its id.
class DuplicatePluginIdError : public PluginLoadError {
 public:
  using PluginLoadError::PluginLoadError;
};

// A loaded plugin failed at run time (returned an error status, bad output…).
class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The user asked for something that does not exist or does not fit.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace attnlab
