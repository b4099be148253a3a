#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/training/compare_config.hpp>

#include <fmt/format.h>
#include <attnlab/framework/training/toml_tree.hpp>

#include <toml++/toml.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <utility>

namespace attnlab {
namespace {

// Several features of decreasing variance plus a common mean direction, with
// one more head than features: the setting where heads first agree on the
// mean, then specialize, and where the activations differ visibly.
const char* const kDefaultToml = R"(# attnlab default comparison
seed = 1
activations = ["softmax", "softmax1", "bayes-softmax"]

[data]
plugin = "single-location"
D = 100
L = 8
delta = 0.1
prior = "gaussian"
mean = [1.5, 0.0, 0.0]
std = [2.0, 1.4, 0.8]

[model]
heads = 4
bias = true
init_scale = 0.1

[train]
optimizer = "sgd"
time = 10000.0
batch = 16
threads = 2

# A constant per-sample step: with scores x.k/sqrt(D) and overlaps k.k*/D,
# this makes the curves in t = samples/D the same for every D.
[train.optimizer_params]
eta = 0.1
lr_scale = "none"

[eval]
test_size = 4096
log_points = 30
bayes_samples = 200000
# Key and value Gram matrices are logged up to this many heads (each is
# H x H numbers per log point and model).
max_gram_heads = 16

# The high-dimensional limit (attnlab theory, compare --theory): Monte Carlo
# samples per base draw, independent base draws (the first gives the curves,
# all of them the band), the integrator's error per step, the samples that
# score the population risk at each log point, and the integrator
# ("rosenbrock": linearly implicit, for the stiff limit; or "rk45"). It starts from the exact
# overlaps of the initial parameters a simulation at dimension D with this
# seed draws: by default the config's own D and seed.
[theory]
samples = 4096
draws = 3
tolerance = 1e-4
risk_samples = 65536
integrator = "rosenbrock"
# D = 1000
# seed = 1
)";

[[noreturn]] void bad(const std::string& key, const std::string& message) {
  throw UsageError("config key '" + key + "' " + message);
}

// "a string (\"100\")", "an integer (3)", ...: what a config key holds, for messages.
std::string describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string (\"" + node.as_string()->get() + "\")";
    case toml::node_type::integer:
      return "an integer (" + std::to_string(node.as_integer()->get()) + ")";
    case toml::node_type::floating_point:
      return "a number (" + fmt::format("{}", node.as_floating_point()->get()) + ")";
    case toml::node_type::boolean:
      return std::string("a boolean (") + (node.as_boolean()->get() ? "true" : "false") + ")";
    case toml::node_type::array:
      return "a list";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date or time";
  }
}

// Shortest text that reads back as the same double.
std::string format_number(double value) {
  return fmt::format("{}", value);
}

// A TOML value as plugin parameter text (see sdk/params.hpp).
std::string to_param_value(const toml::node& node, const std::string& key) {
  if (const auto* v = node.as_integer()) return std::to_string(v->get());
  if (const auto* v = node.as_floating_point()) return format_number(v->get());
  if (const auto* v = node.as_boolean()) return v->get() ? "true" : "false";
  // Quoted, so that a plugin asked for a number can say it got a string.
  if (const auto* v = node.as_string()) return "\"" + v->get() + "\"";
  if (const auto* array = node.as_array()) {
    std::string text = "[";
    for (std::size_t i = 0; i < array->size(); ++i) {
      text += (i == 0 ? "" : ", ") + to_param_value(*array->get(i), key);
    }
    return text + "]";
  }
  bad(key, "has a value type that cannot be passed to a plugin");
}

std::string to_param_text(const toml::table& table, const std::string& prefix, const std::set<std::string>& skip) {
  std::string text;
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    if (skip.count(name) != 0) continue;
    text += name + " = " + to_param_value(node, prefix + name) + "\n";
  }
  return text;
}

// Copies `overlay` onto `base`, recursing into tables.
void merge(toml::table& base, const toml::table& overlay) {
  for (const auto& [key, node] : overlay) {
    if (const auto* sub = node.as_table(); sub != nullptr && base[key].is_table()) {
      merge(*base[key].as_table(), *sub);
    } else {
      base.insert_or_assign(key, node);
    }
  }
}

// `section.key=value`: the value is read as TOML, or as a plain string when
// it is not valid TOML (so `--set train.optimizer=adam` needs no quotes).
void apply_override(toml::table& config, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw UsageError("--set '" + assignment + "' must look like section.key=value");
  }
  const std::string path = assignment.substr(0, eq);
  const std::string value_text = assignment.substr(eq + 1);
  toml::table value_table;
  try {
    value_table = toml::parse("value = " + value_text);
  } catch (const toml::parse_error&) {
    value_table.insert("value", value_text);
  }
  toml::table* table = &config;
  std::size_t start = 0;
  while (true) {
    const auto dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) throw UsageError("--set '" + assignment + "' has an empty key part");
    if (dot == std::string::npos) {
      table->insert_or_assign(part, *value_table.get("value"));
      return;
    }
    if (!(*table)[part].is_table()) table->insert_or_assign(part, toml::table{});
    table = (*table)[part].as_table();
    start = dot + 1;
  }
}

class Reader {
 public:
  explicit Reader(const toml::table& root) : root_(root) {}

  const toml::node* find(const std::string& key) const { return root_.at_path(key).node(); }

  const toml::node& require(const std::string& key) const {
    const auto* node = find(key);
    if (node == nullptr) bad(key, "is missing");
    return *node;
  }

  std::int64_t integer(const std::string& key, std::int64_t min, std::int64_t max) const {
    const auto& node = require(key);
    const auto* value = node.as_integer();
    if (value == nullptr) bad(key, "must be an integer, found " + describe(node));
    const std::int64_t v = value->get();
    if (v < min || v > max) {
      bad(key,
          "= " + std::to_string(v) + " is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    return v;
  }

  double number(const std::string& key, double min, double max) const {
    const auto& node = require(key);
    double v = 0.0;
    if (const auto* f = node.as_floating_point()) {
      v = f->get();
    } else if (const auto* i = node.as_integer()) {
      v = static_cast<double>(i->get());
    } else {
      bad(key, "must be a number, found " + describe(node));
    }
    if (!std::isfinite(v) || v < min || v > max) {
      bad(key, "= " + format_number(v) + " is out of range [" + format_number(min) + ", " + format_number(max) + "]");
    }
    return v;
  }

  bool boolean(const std::string& key) const {
    const auto& node = require(key);
    const auto* value = node.as_boolean();
    if (value == nullptr) bad(key, "must be true or false, found " + describe(node));
    return value->get();
  }

  std::string string(const std::string& key) const {
    const auto& node = require(key);
    const auto* value = node.as_string();
    if (value == nullptr) bad(key, "must be a non-empty string, found " + describe(node));
    if (value->get().empty()) bad(key, "must be a non-empty string");
    return value->get();
  }

  const toml::table& table(const std::string& key) const {
    const auto* node = find(key);
    if (node == nullptr) bad(key, "is missing (a table)");
    if (!node->is_table()) bad(key, "must be a table, found " + describe(*node));
    return *node->as_table();
  }

 private:
  const toml::table& root_;
};

// Every key the host itself reads; [data] beyond `plugin` and the parameter
// tables belong to plugins and are checked by them.
void reject_unknown_keys(const toml::table& root) {
  const std::map<std::string, std::set<std::string>> known = {
      {"", {"seed", "activations", "activation_params", "data", "model", "train", "eval", "theory"}},
      {"model", {"heads", "bias", "init_scale"}},
      {"train", {"optimizer", "optimizer_params", "time", "batch", "threads"}},
      {"eval", {"test_size", "log_points", "bayes_samples", "max_gram_heads"}},
      {"theory", {"samples", "draws", "tolerance", "risk_samples", "integrator", "D", "seed"}},
  };
  for (const auto& [section, keys] : known) {
    const toml::table* table = section.empty() ? &root : root[section].as_table();
    if (table == nullptr) {
      if (const auto* node = root.get(section))
        bad(section, "must be a table ([" + section + "]), found " + describe(*node));
      continue;
    }
    for (const auto& [key, node] : *table) {
      const std::string name(key.str());
      if (keys.count(name) == 0) {
        std::string allowed;
        for (const auto& k : keys) allowed += (allowed.empty() ? "" : ", ") + k;
        throw UsageError("unknown config key '" + (section.empty() ? name : section + "." + name) + "' (known keys" +
                         (section.empty() ? "" : " in [" + section + "]") + ": " + allowed + ")");
      }
    }
  }
}

// [theory] is optional key by key: configs written before it existed mean
// the defaults.
void read_theory_settings(const Reader& r, TheorySettings& theory) {
  constexpr std::int64_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();
  if (r.find("theory.samples") != nullptr)
    theory.samples = static_cast<std::uint32_t>(r.integer("theory.samples", 2, 1 << 24));
  if (r.find("theory.draws") != nullptr) theory.draws = static_cast<std::uint32_t>(r.integer("theory.draws", 1, 1000));
  if (r.find("theory.tolerance") != nullptr) theory.tolerance = r.number("theory.tolerance", 1e-12, 0.1);
  if (r.find("theory.risk_samples") != nullptr)
    theory.risk_samples = static_cast<std::uint32_t>(r.integer("theory.risk_samples", 2, 1 << 26));
  if (r.find("theory.integrator") != nullptr) {
    theory.integrator = r.string("theory.integrator");
    if (theory.integrator != "rosenbrock" && theory.integrator != "rk45") {
      bad("theory.integrator", "= \"" + theory.integrator + "\" is not one of: rosenbrock, rk45");
    }
  }
  if (r.find("theory.D") != nullptr) theory.dimension = static_cast<std::uint32_t>(r.integer("theory.D", 2, kMaxU32));
  if (r.find("theory.seed") != nullptr)
    theory.seed = static_cast<std::uint64_t>(r.integer("theory.seed", 0, static_cast<std::int64_t>(kLargestSeed)));
}

CompareConfig build(const toml::table& root) {
  reject_unknown_keys(root);
  const Reader r(root);
  CompareConfig config;
  constexpr std::int64_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();
  config.seed = static_cast<std::uint64_t>(r.integer("seed", 0, static_cast<std::int64_t>(kLargestSeed)));

  const auto* activations = r.require("activations").as_array();
  if (activations == nullptr || activations->empty()) bad("activations", "must be a non-empty list of plugin ids");
  std::set<std::string> seen;
  for (const auto& node : *activations) {
    const auto* id = node.as_string();
    if (id == nullptr) bad("activations", "must contain only strings (plugin ids)");
    if (!seen.insert(id->get()).second) bad("activations", "lists '" + id->get() + "' twice");
    config.activations.push_back(id->get());
  }
  if (const auto* node = root.get("activation_params"); node != nullptr && !node->is_table()) {
    bad("activation_params", "must be a table of [activation_params.<id>] tables, found " + describe(*node));
  }
  if (const auto* node = root.at_path("train.optimizer_params").node(); node != nullptr && !node->is_table()) {
    bad("train.optimizer_params", "must be a table, found " + describe(*node));
  }
  if (const auto* params = root["activation_params"].as_table()) {
    for (const auto& [id, node] : *params) {
      const std::string name(id.str());
      if (seen.count(name) == 0) bad("activation_params." + name, "is for an activation not in 'activations'");
      if (!node.is_table()) bad("activation_params." + name, "must be a table, found " + describe(node));
      config.activation_params[name] = to_param_text(*node.as_table(), "activation_params." + name + ".", {});
    }
  }

  const toml::table& data = r.table("data");
  config.data_plugin = r.string("data.plugin");
  config.data_params = to_param_text(data, "data.", {"plugin"});

  config.heads = static_cast<std::uint32_t>(r.integer("model.heads", 1, 4096));
  config.trainable_bias = r.boolean("model.bias");
  config.init_scale = r.number("model.init_scale", 0.0, 1e6);

  config.optimizer = r.string("train.optimizer");
  if (const auto* params = root.at_path("train.optimizer_params").as_table()) {
    config.optimizer_params = to_param_text(*params, "train.optimizer_params.", {});
  }
  config.time = r.number("train.time", 1e-12, 1e12);
  config.batch = static_cast<std::uint32_t>(r.integer("train.batch", 1, 1 << 20));
  config.threads = static_cast<std::uint32_t>(r.integer("train.threads", 1, 1024));

  config.test_size = static_cast<std::uint32_t>(r.integer("eval.test_size", 1, kMaxU32));
  config.log_points = static_cast<std::uint32_t>(r.integer("eval.log_points", 1, 100000));
  config.bayes_samples = static_cast<std::uint32_t>(r.integer("eval.bayes_samples", 0, kMaxU32));
  // Optional: configs written before it existed mean the default.
  if (r.find("eval.max_gram_heads") != nullptr) {
    config.max_gram_heads = static_cast<std::uint32_t>(r.integer("eval.max_gram_heads", 0, 4096));
  }
  read_theory_settings(r, config.theory);

  std::ostringstream text;
  text << root << "\n";
  config.resolved_toml = text.str();
  return config;
}

}  // namespace

const std::string& default_compare_toml() {
  static const std::string text = kDefaultToml;
  return text;
}

CompareConfig parse_compare_config(const std::string& toml_text, const std::string& source_name) {
  return build(parse_toml(toml_text, source_name));
}

namespace {

// The default's [data] holds the parameters of the default's data model;
// another data model named without parameters of its own would reject them,
// so it starts from none instead.
void drop_default_data_params_of_replaced_plugin(toml::table& root, const toml::table& defaults,
                                                 const toml::table& overrides, bool file_gave_data) {
  const auto final_string = [&](const char* key) {
    if (const auto* value = overrides.at_path(key).as_string()) return value->get();
    return root.at_path(key).value_or(std::string());
  };
  const std::string data_plugin = final_string("data.plugin");
  if (!file_gave_data && data_plugin != defaults.at_path("data.plugin").value_or(std::string())) {
    root.insert_or_assign("data", toml::table{{"plugin", data_plugin}});
  }
}

// Defaults, then a config text if any (as if read from a file), then overrides.
CompareConfig compose(const std::optional<std::pair<std::string, std::string>>& text_and_source,
                      const std::vector<std::string>& overrides, const OptimizerParamProbe& probe = {}) {
  const toml::table defaults = parse_toml(default_compare_toml(), "built-in default");
  toml::table root = defaults;
  bool file_gave_data = false;
  bool file_gave_optimizer_params = false;
  if (text_and_source) {
    const toml::table user = parse_toml(text_and_source->first, text_and_source->second);
    // Data parameters depend on each other (a discrete prior takes no
    // `mean`), so a [data] table in the file replaces the default's whole.
    file_gave_data = user.contains("data");
    file_gave_optimizer_params = user.at_path("train.optimizer_params").is_table();
    if (file_gave_data) root.insert_or_assign("data", toml::table{});
    // Likewise optimizer parameters: the file's belong to the file's optimizer.
    if (file_gave_optimizer_params) {
      if (auto* train = root["train"].as_table()) train->insert_or_assign("optimizer_params", toml::table{});
    }
    merge(root, user);
  }
  toml::table override_table;
  for (const auto& assignment : overrides) apply_override(override_table, assignment);
  drop_default_data_params_of_replaced_plugin(root, defaults, override_table, file_gave_data);
  for (const auto& assignment : overrides) apply_override(root, assignment);
  // Another optimizer keeps the default's step parameters that it accepts,
  // and the user hears of it: dropping them silently would change the step.
  const std::string optimizer = root.at_path("train.optimizer").value_or(std::string());
  const std::string default_optimizer = defaults.at_path("train.optimizer").value_or(std::string());
  std::vector<std::string> notes;
  auto* params = root.at_path("train.optimizer_params").as_table();
  if (!file_gave_optimizer_params && optimizer != default_optimizer && params != nullptr && !params->empty()) {
    const auto* default_params = defaults.at_path("train.optimizer_params").as_table();
    std::string kept;
    std::string dropped;
    for (const auto& entry : *default_params) {
      const std::string name(entry.first.str());
      const auto* value = params->get(name);
      // Only the default's own values are in question, not what --set gave.
      if (value == nullptr || override_table.at_path("train.optimizer_params." + name).node() != nullptr) continue;
      const std::string line = name + " = " + to_param_value(*value, name);
      if (!probe || probe(optimizer, line)) {
        kept += (kept.empty() ? "" : ", ") + line;
      } else {
        dropped += (dropped.empty() ? "" : ", ") + name;
        params->erase(name);
      }
    }
    if (!kept.empty() || !dropped.empty()) {
      std::string note = "train.optimizer = '" + optimizer + "'";
      if (!kept.empty()) note += " keeps the default's step (" + kept + ")";
      if (!dropped.empty())
        note += (kept.empty() ? "" : " and") + (" drops the default's " + dropped + ", which it does not take");
      notes.push_back(note + "; set train.optimizer_params.<key> to change it");
    }
  }
  CompareConfig config = build(root);
  config.notes = std::move(notes);
  return config;
}

}  // namespace

CompareConfig load_compare_config(const std::optional<std::string>& path, const std::vector<std::string>& overrides,
                                  const OptimizerParamProbe& probe) {
  if (!path) return compose(std::nullopt, overrides, probe);
  std::error_code error;
  if (std::filesystem::is_directory(*path, error)) {
    throw UsageError("config file '" + *path + "' is a folder, not a TOML file");
  }
  std::ifstream file(*path);
  if (!file) throw UsageError("cannot read config file '" + *path + "': " + std::strerror(errno));
  std::stringstream text;
  text << file.rdbuf();
  return compose(std::pair{text.str(), *path}, overrides, probe);
}

CompareConfig compose_compare_config(const std::string& toml_text, const std::string& source_name,
                                     const std::vector<std::string>& overrides) {
  return compose(std::pair{toml_text, source_name}, overrides);
}

}  // namespace attnlab

namespace attnlab {
namespace {

// A value as the user wrote it: shortest round-trip numbers (0.1, not
// 0.10000000000000001), quoted strings, lists in brackets.
std::string value_text(const toml::node& node) {
  if (const auto* v = node.as_floating_point()) return format_number(v->get());
  if (const auto* v = node.as_string()) return "\"" + v->get() + "\"";
  if (const auto* array = node.as_array()) {
    std::string text = "[";
    for (std::size_t i = 0; i < array->size(); ++i) text += (i == 0 ? "" : ", ") + value_text(*array->get(i));
    return text + "]";
  }
  std::ostringstream text;
  node.visit([&](const auto& value) { text << value; });
  return text.str();
}

}  // namespace

std::vector<std::string> config_differences(const std::string& before, const std::string& now) {
  std::map<std::string, std::string> a;
  std::map<std::string, std::string> b;
  for_each_leaf(parse_toml(before, "saved config"),
                [&](const std::string& key, const toml::node& node) { a[key] = value_text(node); });
  for_each_leaf(parse_toml(now, "config"),
                [&](const std::string& key, const toml::node& node) { b[key] = value_text(node); });
  // The thread count changes how fast, not what is computed; [theory]
  // settings change only the limit computed beside a simulation.
  for (auto* side : {&a, &b}) {
    side->erase("train.threads");
    std::erase_if(*side, [](const auto& entry) { return entry.first.starts_with("theory."); });
  }
  std::vector<std::string> differences;
  for (const auto& [key, value] : a) {
    const auto it = b.find(key);
    if (it == b.end())
      differences.push_back(key + " = " + value + " vs absent");
    else if (it->second != value)
      differences.push_back(key + " = " + value + " vs " + it->second);
  }
  for (const auto& [key, value] : b) {
    if (a.count(key) == 0) differences.push_back(key + " absent vs " + value);
  }
  return differences;
}

}  // namespace attnlab
