#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/results/warm_start.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace attnlab {
namespace {

// The .ckpt files a path names: itself, or those in a folder (a results
// folder's checkpoints/ first), sorted so that errors come in a fixed order.
std::vector<std::filesystem::path> checkpoint_files(const std::string& path) {
  std::error_code error;
  std::filesystem::path folder(path);
  if (!std::filesystem::is_directory(folder, error)) return {folder};
  if (std::filesystem::is_directory(folder / "checkpoints", error)) folder /= "checkpoints";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    if (entry.path().extension() == ".ckpt") files.push_back(entry.path());
  }
  if (error) throw UsageError("--from-checkpoint '" + path + "': cannot be read: " + error.message());
  if (files.empty()) {
    throw UsageError("--from-checkpoint '" + path +
                     "' holds no checkpoint (.ckpt); give a finished run's folder or its checkpoints/<id>.ckpt files");
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string list(const std::vector<std::string>& ids) {
  std::string text;
  for (const auto& id : ids) text += (text.empty() ? "" : ", ") + id;
  return "[" + text + "]";
}

std::string activation_params(const CompareConfig& config, const std::string& id) {
  const auto it = config.activation_params.find(id);
  return it == config.activation_params.end() ? "" : it->second;
}

}  // namespace

WarmStart load_warm_start(const std::vector<std::string>& paths, const Comparison& comparison) {
  const CompareConfig& config = comparison.config();
  std::map<std::string, std::pair<Checkpoint, std::string>> by_activation;
  std::string first_source;
  const Checkpoint* first = nullptr;
  for (const auto& path : paths) {
    for (const auto& file : checkpoint_files(path)) {
      Checkpoint checkpoint = load_checkpoint(file);
      const std::string id = checkpoint.activation;
      if (by_activation.count(id) != 0) {
        throw UsageError(
            fmt::format("--from-checkpoint: '{}' and '{}' are both checkpoints of activation '{}'; give "
                        "one per activation",
                        by_activation.at(id).second, file.string(), id));
      }
      auto& entry = by_activation[id] = {std::move(checkpoint), file.string()};
      if (first == nullptr) {
        first = &entry.first;
        first_source = entry.second;
      } else if (entry.first.config_toml != first->config_toml || entry.first.step != first->step) {
        throw UsageError(
            fmt::format("--from-checkpoint: '{}' and '{}' are not of one run at one step; give the "
                        "checkpoints of one comparison",
                        first_source, entry.second));
      }
    }
  }
  std::vector<std::string> found;
  for (const auto& [id, entry] : by_activation) found.push_back(id);
  for (const auto& id : found) {
    if (std::find(config.activations.begin(), config.activations.end(), id) == config.activations.end()) {
      throw UsageError(
          fmt::format("--from-checkpoint: the checkpoints are of activations {}, the new run's are {}; "
                      "set activations to those of the checkpoints' run",
                      list(found), list(config.activations)));
    }
  }

  WarmStart start;
  const std::uint32_t dimension = comparison.data_model().dimension();
  const std::uint32_t length = comparison.data_model().length();
  for (std::size_t i = 0; i < config.activations.size(); ++i) {
    const std::string& id = config.activations[i];
    const auto it = by_activation.find(id);
    if (it == by_activation.end()) {
      throw UsageError(
          fmt::format("--from-checkpoint: the new run's activation '{}' has no checkpoint (the "
                      "checkpoints are of {}); set activations to those of the checkpoints' run",
                      id, list(found)));
    }
    const auto& [checkpoint, source] = it->second;
    const LearnerShape& shape = checkpoint.shape;
    const auto differs = [&](const std::string& what, const std::string& have, const std::string& want) {
      throw UsageError(
          fmt::format("--from-checkpoint '{}': {} is {} there but {} in the new run; a warm start keeps "
                      "the model's shape",
                      source, what, have, want));
    };
    if (shape.heads != config.heads) differs("model.heads", std::to_string(shape.heads), std::to_string(config.heads));
    if (shape.dimension != dimension) differs("D", std::to_string(shape.dimension), std::to_string(dimension));
    if (shape.length != length) differs("L (tokens per sample)", std::to_string(shape.length), std::to_string(length));
    if (shape.trainable_bias != config.trainable_bias) {
      differs("model.bias", shape.trainable_bias ? "true" : "false", config.trainable_bias ? "true" : "false");
    }
    if (checkpoint.activation_params != activation_params(config, id)) {
      throw UsageError(
          fmt::format("--from-checkpoint '{}': the parameters of activation '{}' are '{}' there but "
                      "'{}' in the new run; a warm start keeps the activation",
                      source, id, checkpoint.activation_params, activation_params(config, id)));
    }
    start.checkpoints.push_back(checkpoint);
    start.sources.push_back(source);
  }
  return start;
}

void apply_warm_start(Comparison& comparison, const WarmStart& start) {
  for (std::size_t i = 0; i < start.checkpoints.size(); ++i) {
    comparison.start_model_from(i, [&](Learner& learner) { restore_learner(learner, start.checkpoints[i]); });
  }
}

std::string warm_start_comments(const WarmStart& start) {
  std::string text = "# warm start: every model starts from a checkpoint's parameters (this run's t starts at 0)\n";
  for (std::size_t i = 0; i < start.checkpoints.size(); ++i) {
    const Checkpoint& c = start.checkpoints[i];
    text += fmt::format("# warm start {} from {} (step {}, t = {:g}, seed {})\n", c.activation,
                        std::filesystem::absolute(start.sources[i]).string(), c.step, c.time, c.seed);
  }
  return text;
}

std::vector<std::string> warm_start_notes(const WarmStart& start, const CompareConfig& config) {
  std::vector<std::string> notes;
  if (start.checkpoints.empty()) return notes;
  const Checkpoint& c = start.checkpoints.front();
  if (c.seed == config.seed) {
    notes.push_back(
        fmt::format("the warm start's seed {} is the checkpoints' run's: the new run draws the same "
                    "training samples (and test set) as that run did from its start; set seed for fresh "
                    "samples",
                    config.seed));
  }
  try {
    const CompareConfig old = parse_compare_config(c.config_toml, start.sources.front());
    if (old.data_plugin != config.data_plugin || old.data_params != config.data_params) {
      notes.push_back(
          "the warm start's data model or its parameters differ from the checkpoints' run's: the models "
          "continue on other data");
    }
  } catch (const std::exception&) {
    // A config this attnlab no longer reads: nothing to compare with.
  }
  return notes;
}

}  // namespace attnlab
