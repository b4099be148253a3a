// A warm start: a new comparison whose models start from the parameters a
// finished run saved in its checkpoints (compare --from-checkpoint), with the
// new config's optimizer, schedule, time and seed. Only parameters carry
// over: the optimizer state starts fresh and the new run's time axis, step
// count and data stream start at 0.
#pragma once

#include <attnlab/framework/results/checkpoint.hpp>
#include <attnlab/framework/training/comparison.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace attnlab {

struct WarmStart {
  std::vector<Checkpoint> checkpoints;  // one per activation of the new run, in its order
  std::vector<std::string> sources;     // the file each one was read from
};

// Reads the checkpoints at `paths`: .ckpt files, or folders (a results
// folder, whose checkpoints/ is read, or a folder of .ckpt files). They must
// be of one run at one step and fit `comparison`: the same activations (one
// checkpoint each), activation parameters, H, D, L and trainable biases.
// Throws UsageError naming the file and what differs.
WarmStart load_warm_start(const std::vector<std::string>& paths, const Comparison& comparison);

// Sets every model's starting parameters; before the first step only.
void apply_warm_start(Comparison& comparison, const WarmStart& start);

// Where the run started, as TOML comment lines for config.toml: per
// activation the source file, its step and time.
std::string warm_start_comments(const WarmStart& start);

// Lines for the log when the checkpoints' run differs from the new one in
// ways that are allowed but worth knowing (data model, seed).
std::vector<std::string> warm_start_notes(const WarmStart& start, const CompareConfig& config);

}  // namespace attnlab
