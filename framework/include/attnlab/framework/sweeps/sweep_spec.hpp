// A sweep: a grid of comparisons around one base config (`attnlab sweep`).
//
// The spec is TOML:
//
//   base = "base.toml"            # a compare config, relative to the spec; or an inline [base] table
//   [sweep]
//   "data.delta" = [0.1, 0.5]     # an axis: any config key, a list of values (cartesian product)
//   model.heads = [2, 4]          # dotted keys work unquoted too
//   seeds = 3                     # one cell per seed: the base's seed and the next 2
//   activations = ["softmax", "softmax1"]   # every cell trains these (in lockstep, paired)
//   [[sweep.zip]]                 # keys that move together: equal-length lists, one axis
//   "data.D" = [64, 128]
//   "train.time" = [200, 400]
//
// Each cell is one comparison (one seed): the base config with the cell's
// values as `--set key=value` overrides.
#pragma once

#include <attnlab/framework/training/compare_config.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace attnlab {

// One config value of an axis.
struct SweepValue {
  std::string toml;     // as TOML text, for `key=value` overrides ("\"gaussian\"", "[1.5, 0.0]")
  std::string display;  // for tables and CSV columns (strings without quotes)
};

// One axis of the grid: a single key, or several zipped keys moving together.
struct SweepAxis {
  std::vector<std::string> keys;
  std::vector<std::vector<SweepValue>> points;  // points[i][k]: the i-th value of keys[k]
};

struct SweepSpec {
  std::string source;              // the spec file, for messages
  std::string base_text;           // the base compare config as TOML ("" : the built-in default)
  std::string base_source;         // where base_text came from, for messages
  std::vector<std::string> fixed;  // overrides every cell takes (activations = [...])
  std::vector<SweepAxis> axes;     // plain axes in key order, then zipped ones in spec order
  std::uint32_t seeds = 0;         // 0: not given (the base's seed only)
};

// Reads and checks a spec file. Throws UsageError naming the file and the
// key for anything malformed: unknown keys, an empty axis, zipped lists of
// different lengths, a key swept twice, a missing base file.
SweepSpec read_sweep_spec(const std::filesystem::path& file);

// The same from text; `folder` is where a relative `base` path starts.
SweepSpec parse_sweep_spec(const std::string& text, const std::string& source, const std::filesystem::path& folder);

// One cell: a point of the grid and one seed.
struct SweepCell {
  std::vector<std::string> keys;   // the swept keys (every cell of a spec has the same)
  std::vector<SweepValue> values;  // this cell's value of each
  std::uint64_t seed = 0;
  CompareConfig config;  // resolved
  std::string hash;      // cell_hash(config)
};

// Every cell of the grid, the first axis slowest and seeds fastest. A cell
// whose config is invalid is refused (UsageError naming the spec, the
// cell's values and the config's own message), before anything runs.
std::vector<SweepCell> expand_sweep(const SweepSpec& spec);

// The swept keys, in the order cells hold them ("seed" excluded: each cell
// has its own seed).
std::vector<std::string> swept_keys(const SweepSpec& spec);

// "data.D=64 model.heads=2 seed=3"
std::string cell_label(const SweepCell& cell);

}  // namespace attnlab
