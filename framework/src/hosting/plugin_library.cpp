#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/hosting/descriptor_validation.hpp>
#include <attnlab/framework/hosting/plugin_library.hpp>

#include "hosting/broken_link.hpp"

#include <dlfcn.h>

#include <system_error>

namespace attnlab {
namespace {

[[noreturn]] void reject(const std::filesystem::path& path, const std::string& reason) {
  throw PluginLoadError("cannot load plugin '" + path.string() + "': " + reason);
}

boost::dll::shared_library open_library(const std::filesystem::path& path) {
  boost::dll::fs::error_code error;
  // rtld_now: resolve every symbol at load time, so a plugin with missing
  // dependencies fails here, with a message, rather than mid-training.
  boost::dll::shared_library library(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, error);
  if (error) {
    // Boost.DLL leaves dlopen's own explanation in dlerror().
    const char* reason = dlerror();
    reject(path, std::string("not a loadable shared library (") + (reason != nullptr ? reason : error.message()) + ")");
  }
  return library;
}

}  // namespace

std::string_view to_string(PluginKind kind) {
  switch (kind) {
    case PluginKind::Activation:
      return "activation";
    case PluginKind::DataModel:
      return "data-model";
    case PluginKind::Optimizer:
      return "optimizer";
  }
  return "unknown";
}

std::string with_article(PluginKind kind) {
  return (kind == PluginKind::DataModel ? "a " : "an ") + std::string(to_string(kind));
}

std::string describe_capabilities(std::uint64_t capabilities) {
  std::string text;
  const auto add = [&](std::uint64_t flag, const char* name) {
    if ((capabilities & flag) == 0) return;
    if (!text.empty()) text += ',';
    text += name;
  };
  add(ATTNLAB_CAP_ANALYTIC_BACKWARD, "analytic-backward");
  add(ATTNLAB_CAP_DERIVED_BACKWARD, "derived-backward");
  add(ATTNLAB_CAP_LEARNABLE_PARAMETERS, "learnable-parameters");
  add(ATTNLAB_CAP_BAYES_PREDICTION, "bayes-prediction");
  add(ATTNLAB_CAP_HIGH_DIMENSIONAL_LIMIT, "high-dimensional-limit");
  return text.empty() ? "-" : text;
}

PluginLibrary::PluginLibrary(std::filesystem::path path, boost::dll::shared_library library,
                             const attnlab_plugin_descriptor* descriptor, PluginKind kind)
    : path_(std::move(path)), library_(std::move(library)), descriptor_(descriptor), kind_(kind) {}

std::shared_ptr<const PluginLibrary> PluginLibrary::load(const std::filesystem::path& requested) {
  std::error_code error;
  if (!std::filesystem::exists(requested, error)) {
    const std::string link = broken_link_reason(requested);
    reject(requested, link.empty() ? "file does not exist" : link);
  }
  const std::filesystem::path path = std::filesystem::canonical(requested, error);
  if (error) reject(requested, "cannot resolve path (" + error.message() + ")");
  if (!std::filesystem::is_regular_file(path, error)) reject(path, "not a regular file");

  boost::dll::shared_library library = open_library(path);
  if (!library.has(ATTNLAB_ENTRY_SYMBOL)) {
    reject(path, std::string("not an attnlab plugin (no '") + ATTNLAB_ENTRY_SYMBOL + "' entry point)");
  }
  const auto entry = library.get<const attnlab_plugin_descriptor*()>(ATTNLAB_ENTRY_SYMBOL);
  const attnlab_plugin_descriptor* descriptor = entry();
  PluginKind kind{};
  try {
    kind = validate_descriptor(descriptor);
  } catch (const PluginLoadError& e) {
    reject(path, e.what());
  }
  return std::shared_ptr<const PluginLibrary>(new PluginLibrary(path, std::move(library), descriptor, kind));
}

std::string PluginLibrary::label() const {
  return "plugin '" + id() + "' (" + path_.string() + ")";
}

}  // namespace attnlab
