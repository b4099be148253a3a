// A cell's identity: a short hash of its resolved config, which names its
// folder (cells/<hash>/), so an unchanged cell is found again and never
// computed twice, whatever else in the sweep changed.
#pragma once

#include <attnlab/framework/training/compare_config.hpp>

#include <string>

namespace attnlab {

// The resolved config as sorted "key = value" lines: the same config gives
// the same text whatever the key order or number formatting of its TOML.
// Leaves out what config_differences ignores (train.threads, [theory]),
// which does not change a comparison's results.
std::string cell_identity_text(const std::string& resolved_toml);

// The first 12 hex digits of FNV-1a over cell_identity_text.
std::string cell_hash(const CompareConfig& config);

// A cell whose models start from another cell's final parameters (compare
// --from-checkpoint): its identity includes that cell's.
std::string cell_hash(const CompareConfig& config, const std::string& warm_start_hash);

}  // namespace attnlab
