// A checkpoint of one trained model: enough to rebuild its learner, its data
// model and its test set without the run that produced it.
//
// The file is text so that it can be read, diffed and edited by hand:
//
//   attnlab-checkpoint 1                  magic and format version
//   activation = softmax1                 header, one `key = value` a line
//   ...
//   == activation_params                  parameter text (counted lines)
//   == config                             resolved comparison config (counted lines)
//   == keys_and_values                    2H rows of D numbers, keys first
//   == biases                             H numbers
//   == activation_parameters              the activation's learnable parameters
//   == end 253 fnv1a64:0123456789abcdef   number count, checksum of all above
//
// Numbers are written with 17 significant digits, so they read back
// bit-identical. The end marker makes a cut-off file detectable, and its
// checksum covers every byte before it, so a file edited or damaged after
// attnlab wrote it is refused (format 1, whose checksum covered the numbers
// only, is still read).
#pragma once

#include <attnlab/framework/training/compare_config.hpp>
#include <attnlab/framework/training/comparison.hpp>
#include <attnlab/framework/training/learner.hpp>
#include <attnlab/sdk/types.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace attnlab {

inline constexpr std::uint32_t kCheckpointFormatVersion = 2;

struct Checkpoint {
  std::string activation;         // activation plugin id
  std::string activation_params;  // its parameter text ("key = value" lines)
  std::string config_toml;        // CompareConfig::resolved_toml of the run
  std::uint64_t seed = 0;
  std::uint64_t step = 0;
  double time = 0.0;  // t = samples / D
  LearnerShape shape;
  RowMatrix keys_and_values;  // 2H x D, keys first
  Eigen::VectorXd biases;     // H
  std::vector<double> activation_parameters;
};

// The learner's parameters with the run's config, at `step` / `time`.
Checkpoint make_checkpoint(const Learner& learner, const CompareConfig& config, std::uint64_t step, double time);

// Model `model` of a comparison, at the comparison's current step.
Checkpoint make_checkpoint(const Comparison& comparison, std::size_t model);

// Copies the checkpoint's parameters into `learner`; throws UsageError when
// the learner's shape or activation parameter count differs.
void restore_learner(Learner& learner, const Checkpoint& checkpoint);

// The file's text, and back. `source_name` names the file in error messages.
std::string checkpoint_text(const Checkpoint& checkpoint);
Checkpoint parse_checkpoint(const std::string& text, const std::string& source_name);

// Writes to a temporary file next to `path`, then renames it over `path`.
void save_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint);

// Throws UsageError with a one-line message naming the file when it is
// missing, not a checkpoint, of a newer format, truncated, holds a
// non-finite number, or disagrees with itself (header, sections, config).
Checkpoint load_checkpoint(const std::filesystem::path& path);

}  // namespace attnlab
