#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/training/toml_tree.hpp>

namespace attnlab {
namespace {

void visit_leaves(const toml::table& table, const std::string& prefix,
                  const std::function<void(const std::string&, const toml::node&)>& visit) {
  for (const auto& [key, node] : table) {
    const std::string path = prefix + std::string(key.str());
    if (const auto* sub = node.as_table()) {
      visit_leaves(*sub, path + ".", visit);
    } else {
      visit(path, node);
    }
  }
}

}  // namespace

toml::table parse_toml(const std::string& text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    throw UsageError(source + ":" + std::to_string(begin.line) + ":" + std::to_string(begin.column) +
                     ": malformed TOML: " + std::string(e.description()));
  }
}

void for_each_leaf(const toml::table& table, const std::function<void(const std::string&, const toml::node&)>& visit) {
  visit_leaves(table, "", visit);
}

}  // namespace attnlab
