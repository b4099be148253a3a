// One loaded plugin library and its validated descriptor.
#pragma once

#include <attnlab/plugin_abi.h>

#include <boost/dll/shared_library.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace attnlab {

enum class PluginKind { Activation, DataModel, Optimizer };

std::string_view to_string(PluginKind kind);
// "an activation", "a data-model", "an optimizer": for messages.
std::string with_article(PluginKind kind);

class PluginLibrary {
 public:
  // Loads `path` and validates its descriptor; throws PluginLoadError with a
  // one-line message naming the file and the reason.
  static std::shared_ptr<const PluginLibrary> load(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  const attnlab_plugin_descriptor& descriptor() const { return *descriptor_; }
  PluginKind kind() const { return kind_; }
  std::string id() const { return descriptor_->id; }
  std::string version() const { return descriptor_->version; }
  std::string name() const { return descriptor_->name; }
  std::string description() const { return descriptor_->description; }
  std::uint64_t capabilities() const { return descriptor_->capabilities; }
  // "plugin 'softmax' (/abs/path/softmax.so)", the prefix of every runtime error.
  std::string label() const;

  template <class Table>
  const Table& table() const {
    return *static_cast<const Table*>(descriptor_->table);
  }

 private:
  PluginLibrary(std::filesystem::path path, boost::dll::shared_library library,
                const attnlab_plugin_descriptor* descriptor, PluginKind kind);

  std::filesystem::path path_;
  // Kept open for the lifetime of this object; everything made from the
  // plugin holds a shared_ptr to it, so code is never unloaded under a caller.
  boost::dll::shared_library library_;
  const attnlab_plugin_descriptor* descriptor_;
  PluginKind kind_;
};

// Comma-separated names of the capability flags set in `capabilities`.
std::string describe_capabilities(std::uint64_t capabilities);

}  // namespace attnlab
