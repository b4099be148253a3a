#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/text_file.hpp>
#include <attnlab/framework/sweeps/cell_hash.hpp>
#include <attnlab/framework/sweeps/sweep_spec.hpp>
#include <attnlab/framework/training/toml_tree.hpp>

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace attnlab {
namespace {

[[noreturn]] void bad(const std::string& source, const std::string& message) {
  throw UsageError("sweep spec '" + source + "': " + message);
}

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A float as TOML text that reads back as the same float (and as a float:
// 64.0, not 64).
std::string float_text(double value) {
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

// TOML text of a value; `key` names it in errors.
std::string toml_text(const toml::node& node, const std::string& source, const std::string& key) {
  if (const auto* v = node.as_string()) return quoted(v->get());
  if (const auto* v = node.as_integer()) return std::to_string(v->get());
  if (const auto* v = node.as_floating_point()) return float_text(v->get());
  if (const auto* v = node.as_boolean()) return v->get() ? "true" : "false";
  if (const auto* array = node.as_array()) {
    std::string text = "[";
    for (std::size_t i = 0; i < array->size(); ++i)
      text += (i == 0 ? "" : ", ") + toml_text(*array->get(i), source, key);
    return text + "]";
  }
  if (const auto* table = node.as_table()) {
    std::string text = "{";
    bool first = true;
    for (const auto& [name, value] : *table) {
      text += (first ? " " : ", ") + quoted(std::string(name.str())) + " = " + toml_text(value, source, key);
      first = false;
    }
    return text + " }";
  }
  bad(source, "'" + key + "' holds a date or time, which a config never takes");
}

SweepValue value_of(const toml::node& node, const std::string& source, const std::string& key) {
  const std::string text = toml_text(node, source, key);
  return {text, node.is_string() ? node.as_string()->get() : text};
}

// Leaves of `table` as dotted keys: `data.D = [..]` and `"data.D" = [..]` alike.
void flatten(const toml::table& table, const std::string& prefix,
             std::vector<std::pair<std::string, const toml::node*>>& out) {
  for (const auto& [name, node] : table) {
    const std::string key = prefix + std::string(name.str());
    if (const auto* sub = node.as_table()) {
      flatten(*sub, key + ".", out);
    } else {
      out.emplace_back(key, &node);
    }
  }
}

const toml::array& axis_values(const toml::node& node, const std::string& source, const std::string& key) {
  const auto* values = node.as_array();
  if (values == nullptr || values->empty()) {
    bad(source, "axis '" + key + "' must be a non-empty list of values (e.g. \"" + key + "\" = [1, 2])");
  }
  return *values;
}

void read_base(const toml::table& root, const std::string& source, const std::filesystem::path& folder,
               SweepSpec& spec) {
  const toml::node* file = root.get("base");
  if (file != nullptr && file->is_table()) {
    std::ostringstream text;
    text << *file->as_table() << "\n";
    spec.base_text = text.str();
    spec.base_source = source + " [base]";
    return;
  }
  if (file == nullptr) {
    spec.base_source = "built-in default";
    return;
  }
  if (!file->is_string() || file->as_string()->get().empty()) {
    bad(source, "'base' must be a config file name (relative to the spec) or a [base] table");
  }
  const std::filesystem::path path = folder / file->as_string()->get();
  spec.base_text = read_text_file(path, "base config of sweep spec '" + source + "':");
  spec.base_source = path.string();
}

void read_sweep_table(const toml::table& sweep, const std::string& source, SweepSpec& spec) {
  std::set<std::string> used;
  const auto claim = [&](const std::string& key) {
    if (!used.insert(key).second) bad(source, "key '" + key + "' is swept twice");
  };
  std::vector<std::pair<std::string, const toml::node*>> leaves;
  for (const auto& [name, node] : sweep) {
    const std::string key(name.str());
    if (key == "seeds") {
      const auto* count = node.as_integer();
      if (count == nullptr || count->get() < 1 || count->get() > 100000) {
        bad(source, "'sweep.seeds' must be a whole number from 1 to 100000 (seeds per grid point)");
      }
      spec.seeds = static_cast<std::uint32_t>(count->get());
    } else if (key == "activations") {
      const auto* ids = node.as_array();
      bool strings = ids != nullptr && !ids->empty();
      for (std::size_t i = 0; strings && i < ids->size(); ++i) strings = ids->get(i)->is_string();
      if (!strings) bad(source, "'sweep.activations' must be a non-empty list of activation ids");
      spec.fixed.push_back("activations=" + toml_text(node, source, key));
    } else if (key == "zip") {
      if (!node.is_array_of_tables()) bad(source, "'sweep.zip' must be [[sweep.zip]] tables of equal-length lists");
    } else if (const auto* sub = node.as_table()) {
      flatten(*sub, key + ".", leaves);
    } else {
      leaves.emplace_back(key, &node);
    }
  }
  for (const auto& [key, node] : leaves) {
    claim(key);
    SweepAxis axis{{key}, {}};
    for (const auto& value : axis_values(*node, source, key)) axis.points.push_back({value_of(value, source, key)});
    spec.axes.push_back(std::move(axis));
  }
  if (const auto* zips = sweep["zip"].as_array()) {
    for (std::size_t z = 0; z < zips->size(); ++z) {
      std::vector<std::pair<std::string, const toml::node*>> zipped;
      flatten(*zips->get(z)->as_table(), "", zipped);
      if (zipped.empty()) bad(source, fmt::format("[[sweep.zip]] number {} has no keys", z + 1));
      SweepAxis axis;
      std::size_t length = 0;
      for (const auto& [key, node] : zipped) {
        claim(key);
        const auto& values = axis_values(*node, source, key);
        if (axis.keys.empty()) {
          length = values.size();
          axis.points.resize(length);
        } else if (values.size() != length) {
          bad(source, fmt::format("[[sweep.zip]] lists must have equal lengths: '{}' has {} values, '{}' has {}",
                                  axis.keys.front(), length, key, values.size()));
        }
        axis.keys.push_back(key);
        for (std::size_t i = 0; i < length; ++i) axis.points[i].push_back(value_of(*values.get(i), source, key));
      }
      spec.axes.push_back(std::move(axis));
    }
  }
  if (spec.seeds > 0 && used.count("seed") != 0) {
    bad(source, "'seed' is swept and 'sweep.seeds' is given; use one of them");
  }
  if (!spec.fixed.empty() && used.count("activations") != 0) {
    bad(source, "'activations' is swept and 'sweep.activations' is given; use one of them");
  }
}

}  // namespace

SweepSpec parse_sweep_spec(const std::string& text, const std::string& source, const std::filesystem::path& folder) {
  const toml::table root = parse_toml(text, source);
  for (const auto& [name, node] : root) {
    const std::string key(name.str());
    if (key != "base" && key != "sweep") bad(source, "unknown key '" + key + "' (known: base, sweep)");
  }
  SweepSpec spec;
  spec.source = source;
  read_base(root, source, folder, spec);
  const toml::node* sweep = root.get("sweep");
  if (sweep == nullptr || !sweep->is_table()) bad(source, "no [sweep] table (the axes to sweep)");
  read_sweep_table(*sweep->as_table(), source, spec);
  return spec;
}

SweepSpec read_sweep_spec(const std::filesystem::path& file) {
  return parse_sweep_spec(read_text_file(file, "sweep spec"), file.string(), file.parent_path());
}

std::vector<std::string> swept_keys(const SweepSpec& spec) {
  std::vector<std::string> keys;
  for (const auto& axis : spec.axes) {
    for (const auto& key : axis.keys) {
      if (key != "seed") keys.push_back(key);
    }
  }
  return keys;
}

std::string cell_label(const SweepCell& cell) {
  std::string label;
  for (std::size_t k = 0; k < cell.keys.size(); ++k) label += cell.keys[k] + "=" + cell.values[k].display + " ";
  return label + "seed=" + std::to_string(cell.seed);
}

std::vector<SweepCell> expand_sweep(const SweepSpec& spec) {
  std::size_t points = 1;
  for (const auto& axis : spec.axes) {
    if (axis.points.size() > std::numeric_limits<std::size_t>::max() / points / 4) {
      bad(spec.source, "the grid is too large");
    }
    points *= axis.points.size();
  }
  const std::vector<std::string> keys = swept_keys(spec);
  std::vector<SweepCell> cells;
  std::vector<std::size_t> index(spec.axes.size(), 0);
  for (std::size_t p = 0; p < points; ++p) {
    // Mixed-radix digits of p, the last axis fastest.
    std::size_t rest = p;
    for (std::size_t a = spec.axes.size(); a-- > 0;) {
      index[a] = rest % spec.axes[a].points.size();
      rest /= spec.axes[a].points.size();
    }
    std::vector<std::string> overrides = spec.fixed;
    std::vector<SweepValue> values;
    for (std::size_t a = 0; a < spec.axes.size(); ++a) {
      const SweepAxis& axis = spec.axes[a];
      for (std::size_t k = 0; k < axis.keys.size(); ++k) {
        const SweepValue& value = axis.points[index[a]][k];
        overrides.push_back(axis.keys[k] + "=" + value.toml);
        if (axis.keys[k] != "seed") values.push_back(value);
      }
    }
    std::string where;
    for (std::size_t k = 0; k < keys.size(); ++k) where += (k == 0 ? "" : " ") + keys[k] + "=" + values[k].display;
    const auto compose = [&](const std::vector<std::string>& all) {
      try {
        return compose_compare_config(spec.base_text, spec.base_source, all);
      } catch (const UsageError& e) {
        bad(spec.source, "cell " + (where.empty() ? std::string("(the base)") : where) + ": " + e.what());
      }
    };
    const CompareConfig first = compose(overrides);
    const std::uint32_t seeds = std::max<std::uint32_t>(spec.seeds, 1);
    if (spec.seeds > 0 && !seed_range_fits(first.seed, seeds)) {
      bad(spec.source,
          fmt::format("{} seeds from seed {} go past the largest seed, {}", seeds, first.seed, kLargestSeed));
    }
    for (std::uint32_t s = 0; s < seeds; ++s) {
      SweepCell cell{keys, values, first.seed + s, {}, {}};
      if (spec.seeds > 0) {
        std::vector<std::string> with_seed = overrides;
        with_seed.push_back("seed=" + std::to_string(cell.seed));
        cell.config = compose(with_seed);
      } else {
        cell.config = first;
      }
      cell.hash = cell_hash(cell.config);
      cells.push_back(std::move(cell));
    }
  }
  return cells;
}

}  // namespace attnlab
