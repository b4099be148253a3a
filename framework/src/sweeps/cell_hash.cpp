#include <attnlab/framework/common/file_hash.hpp>
#include <attnlab/framework/sweeps/cell_hash.hpp>

#include <fmt/format.h>
#include <toml++/toml.h>

#include <map>
#include <sstream>

namespace attnlab {
namespace {

// Typed, so that 64 and 64.0 (or "64") are different configs.
std::string value_text(const toml::node& node) {
  if (const auto* v = node.as_string()) return "s:" + v->get();
  if (const auto* v = node.as_integer()) return "i:" + std::to_string(v->get());
  if (const auto* v = node.as_floating_point()) return "f:" + fmt::format("{}", v->get());
  if (const auto* v = node.as_boolean()) return v->get() ? "b:true" : "b:false";
  if (const auto* array = node.as_array()) {
    std::string text = "[";
    for (std::size_t i = 0; i < array->size(); ++i) text += (i == 0 ? "" : ", ") + value_text(*array->get(i));
    return text + "]";
  }
  if (const auto* table = node.as_table()) {
    std::string text = "{";
    for (const auto& [key, value] : *table) text += std::string(key.str()) + " = " + value_text(value) + "; ";
    return text + "}";
  }
  std::ostringstream other;
  node.visit([&](const auto& value) { other << value; });
  return "d:" + other.str();
}

void flatten(const toml::table& table, const std::string& prefix, std::map<std::string, std::string>& out) {
  for (const auto& [key, node] : table) {
    const std::string path = prefix + std::string(key.str());
    if (const auto* sub = node.as_table()) {
      flatten(*sub, path + ".", out);
    } else {
      out[path] = value_text(node);
    }
  }
}

}  // namespace

std::string cell_identity_text(const std::string& resolved_toml) {
  std::map<std::string, std::string> leaves;
  flatten(toml::parse(resolved_toml, std::string("resolved config")), "", leaves);
  leaves.erase("train.threads");
  std::string text;
  for (const auto& [key, value] : leaves) {
    if (!key.starts_with("theory.")) text += key + " = " + value + "\n";
  }
  return text;
}

std::string cell_hash(const CompareConfig& config) {
  Fnv1a hash;
  hash.add(cell_identity_text(config.resolved_toml));
  return fmt::format("{:016x}", hash.value()).substr(0, 12);
}

}  // namespace attnlab
