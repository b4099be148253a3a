// Configuration of a head-to-head comparison (`attnlab compare`).
//
// Sources, later ones winning: the built-in default, a TOML file (merged
// key by key, except that its [data] table replaces the default's whole),
// and `--set section.key=value` overrides. Keys the host does not know are
// rejected with their name; the [data], [train.optimizer_params] and
// [activation_params.<id>] tables are handed to the plugins, which reject
// keys they do not know.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace attnlab {

// [theory]: how the high-dimensional limit is computed (attnlab theory,
// compare --theory); see docs/THEORY.md.
struct TheorySettings {
  std::uint32_t samples = 4096;            // Monte Carlo samples per base draw
  std::uint32_t draws = 3;                 // independent base draws: the first gives the curves, all the band
  double tolerance = 1e-4;                 // the integrator's error per step (absolute and relative)
  std::uint32_t risk_samples = 65536;      // samples scoring the population risk at each log point
  std::string integrator = "rosenbrock";   // or "rk45" (limit_integrator.hpp)
  std::optional<std::uint32_t> dimension;  // D of the initial overlaps; none: the data model's D
  std::optional<std::uint64_t> seed;       // seed of the initial overlaps; none: the config's seed
};

struct CompareConfig {
  std::uint64_t seed = 1;
  std::vector<std::string> activations;
  std::map<std::string, std::string> activation_params;  // id -> parameter text

  std::string data_plugin;
  std::string data_params;  // parameter text for the data model

  std::uint32_t heads = 1;
  bool trainable_bias = true;
  double init_scale = 0.1;  // std of each initial key/value coordinate

  std::string optimizer;
  std::string optimizer_params;
  double time = 1.0;  // training length in t = samples / D
  std::uint32_t batch = 1;
  std::uint32_t threads = 1;

  std::uint32_t test_size = 1;
  std::uint32_t log_points = 1;
  std::uint32_t bayes_samples = 0;    // 0: do not estimate the Bayes risk
  std::uint32_t max_gram_heads = 16;  // Gram matrices are logged only for H up to this

  TheorySettings theory;

  // The resolved configuration as TOML text (written to the results folder).
  std::string resolved_toml;
  // What composing the config decided that the user should hear about (not
  // part of the config itself).
  std::vector<std::string> notes;
};

// The largest seed a config takes (TOML integers are signed 64-bit).
inline constexpr std::uint64_t kLargestSeed = 9223372036854775807ull;

// Whether the `count` seeds first, first + 1, ... all stay within kLargestSeed
// (count >= 1); commands that run several seeds check this before any work.
inline bool seed_range_fits(std::uint64_t first, std::uint64_t count) {
  return first <= kLargestSeed && count - 1 <= kLargestSeed - first;
}

// The built-in default comparison, as TOML text.
const std::string& default_compare_toml();

// Whether optimizer `id` accepts the parameter text `params` (one
// "key = value" line). When the config names another optimizer than the
// default's without parameters of its own, the default's step parameters
// (eta, lr_scale) are kept for it where it accepts them, dropped where it
// does not, and a note says which. Without a probe, all are kept.
using OptimizerParamProbe = std::function<bool(const std::string& id, const std::string& params)>;

// Builds the configuration. Throws UsageError naming the file, key and value
// on malformed TOML, unknown keys, wrong types or out-of-range values.
CompareConfig load_compare_config(const std::optional<std::string>& path, const std::vector<std::string>& overrides,
                                  const OptimizerParamProbe& probe = {});

// Same as load_compare_config, with the file's content given as text
// (experiments define their settings this way).
CompareConfig compose_compare_config(const std::string& toml_text, const std::string& source_name,
                                     const std::vector<std::string>& overrides);

// A complete config from TOML text already read (e.g. a results folder's
// config.toml), without defaults.
CompareConfig parse_compare_config(const std::string& toml_text, const std::string& source_name);

}  // namespace attnlab

namespace attnlab {

// The keys whose values differ between two resolved configs, as
// "key = before vs now" ("absent" for a missing key); train.threads is not
// compared (it does not change results), nor are the [theory] settings (they
// do not change a simulation).
std::vector<std::string> config_differences(const std::string& before_toml, const std::string& now_toml);

}  // namespace attnlab
