#include <attnlab/framework/common/file_hash.hpp>
#include <attnlab/framework/sweeps/cell_hash.hpp>
#include <attnlab/framework/training/toml_tree.hpp>

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

}  // namespace

std::string cell_identity_text(const std::string& resolved_toml) {
  std::map<std::string, std::string> leaves;
  for_each_leaf(parse_toml(resolved_toml, "resolved config"),
                [&](const std::string& key, const toml::node& node) { leaves[key] = value_text(node); });
  leaves.erase("train.threads");
  std::string text;
  for (const auto& [key, value] : leaves) {
    if (!key.starts_with("theory.")) text += key + " = " + value + "\n";
  }
  return text;
}

namespace {

// The first 12 hex digits of FNV-1a: 48 bits, no collision in any sweep's size.
std::string short_hash(const std::string& text) {
  Fnv1a hash;
  hash.add(text);
  return fmt::format("{:016x}", hash.value()).substr(0, 12);
}

}  // namespace

std::string cell_hash(const CompareConfig& config) {
  return short_hash(cell_identity_text(config.resolved_toml));
}

std::string cell_hash(const CompareConfig& config, const std::string& warm_start_hash) {
  return short_hash(cell_identity_text(config.resolved_toml) + "warm_start = " + warm_start_hash + "\n");
}

}  // namespace attnlab
