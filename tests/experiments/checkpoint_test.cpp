// Model checkpoints: exact round trip, and one-line refusals of files that
// are missing, foreign, newer, cut off or inconsistent.
#include "test_plugins.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/results/checkpoint.hpp>
#include <attnlab/framework/training/learner.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using attnlab::Checkpoint;
using attnlab::Learner;
using attnlab::LearnerShape;

constexpr std::uint32_t kBatch = 6;

// A config matching the learners below: H = 3 heads of D = 7, L = 5.
attnlab::CompareConfig small_config(const std::string& activation, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> overrides = {"seed=11", "model.heads=3", "data.D=7", "data.L=5",
                                        "activations=[\"" + activation + "\"]"};
  overrides.insert(overrides.end(), extra.begin(), extra.end());
  return attnlab::load_compare_config(std::nullopt, overrides);
}

// A learner whose every parameter is a random, non-round number.
void randomize(Learner& learner, std::uint64_t seed) {
  attnlab::Rng rng(seed);
  auto& kv = learner.keys_and_values();
  rng.fill_normal(kv.data(), static_cast<std::size_t>(kv.size()));
  rng.fill_normal(learner.biases().data(), static_cast<std::size_t>(learner.biases().size()));
  std::vector<double> parameters = learner.activation_parameters();
  for (double& p : parameters) p = 0.5 + rng.uniform();
  if (!parameters.empty()) learner.set_activation_parameters(parameters);
}

std::vector<double> predictions(Learner& learner, const std::vector<double>& tokens) {
  std::vector<double> out(kBatch);
  learner.predict(tokens, kBatch, out);
  return out;
}

std::string sample_text() {
  auto registry = attnlab::test::builtin_registry();
  Learner learner(LearnerShape{3, 7, 5, true}, attnlab::Activation(registry.get("softmax1")), kBatch);
  randomize(learner, 5);
  return attnlab::checkpoint_text(attnlab::make_checkpoint(learner, small_config("softmax1"), 40, 12.5));
}

std::string parse_error(const std::string& text) {
  try {
    attnlab::parse_checkpoint(text, "sample.ckpt");
  } catch (const attnlab::UsageError& e) {
    return e.what();
  }
  return "(accepted)";
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("a restored learner predicts bit-identically to the original", "[checkpoint]") {
  auto registry = attnlab::test::builtin_registry();
  for (const std::string id : {"softmax", "softmax1", "bayes-softmax"}) {
    INFO(id);
    const LearnerShape shape{3, 7, 5, true};
    Learner original(shape, attnlab::Activation(registry.get(id)), kBatch);
    randomize(original, 17);
    const auto config = small_config(id);
    const Checkpoint saved = attnlab::make_checkpoint(original, config, 123, 4.25);
    const std::string text = attnlab::checkpoint_text(saved);
    const Checkpoint loaded = attnlab::parse_checkpoint(text, "memory");

    CHECK(loaded.activation == id);
    CHECK(loaded.seed == 11);
    CHECK(loaded.step == 123);
    CHECK(loaded.time == 4.25);
    CHECK(loaded.config_toml == config.resolved_toml);
    CHECK(loaded.keys_and_values == original.keys_and_values());
    CHECK(loaded.biases == original.biases());
    CHECK(attnlab::checkpoint_text(loaded) == text);  // the format is a fixed point

    Learner restored(shape, attnlab::Activation(registry.get(id)), kBatch);
    attnlab::restore_learner(restored, loaded);
    attnlab::Rng rng(3);
    std::vector<double> tokens(std::size_t{kBatch} * shape.length * shape.dimension);
    rng.fill_normal(tokens.data(), tokens.size());
    CHECK(predictions(restored, tokens) == predictions(original, tokens));
  }
}

TEST_CASE("learnable activation parameters and parameter text survive the round trip", "[checkpoint]") {
  attnlab::PluginRegistry registry;
  registry.add_file(std::string(ATTNLAB_TEST_FIXTURE_DIR) + "/good/fixture-good.so");
  const LearnerShape shape{3, 7, 5, false};
  Learner original(shape, attnlab::Activation(registry.get("fixture-good"), "beta = 0.75"), kBatch);
  randomize(original, 23);
  const auto config = small_config("fixture-good", {"model.bias=false", "activation_params.fixture-good.beta=0.75"});
  const Checkpoint loaded =
      attnlab::parse_checkpoint(attnlab::checkpoint_text(attnlab::make_checkpoint(original, config, 1, 1.0)), "memory");
  CHECK(loaded.activation_params == config.activation_params.at("fixture-good"));
  REQUIRE(loaded.activation_parameters.size() == 1);
  CHECK(loaded.activation_parameters == original.activation_parameters());
  CHECK_FALSE(loaded.shape.trainable_bias);

  Learner restored(shape, attnlab::Activation(registry.get("fixture-good"), loaded.activation_params), kBatch);
  attnlab::restore_learner(restored, loaded);
  std::vector<double> tokens(std::size_t{kBatch} * shape.length * shape.dimension, 0.25);
  tokens[3] = -1.5;
  CHECK(predictions(restored, tokens) == predictions(original, tokens));
}

TEST_CASE("save_checkpoint replaces the file atomically and load_checkpoint reads it back", "[checkpoint]") {
  const auto folder = std::filesystem::temp_directory_path() / "attnlab-checkpoint-test";
  std::filesystem::remove_all(folder);
  const auto path = folder / "nested" / "model.ckpt";
  const Checkpoint checkpoint = attnlab::parse_checkpoint(sample_text(), "memory");
  attnlab::save_checkpoint(path, checkpoint);
  attnlab::save_checkpoint(path, checkpoint);  // over an existing file
  CHECK(attnlab::checkpoint_text(attnlab::load_checkpoint(path)) == sample_text());
  CHECK(std::distance(std::filesystem::directory_iterator(path.parent_path()), {}) == 1);  // no temporary left
  std::filesystem::remove_all(folder);
}

TEST_CASE("a checkpoint cut anywhere is refused as truncated", "[checkpoint]") {
  const std::string text = sample_text();
  REQUIRE(parse_error(text) == "(accepted)");
  for (std::size_t length = 1; length < text.size(); ++length) {
    const std::string message = parse_error(text.substr(0, length));
    INFO("cut after " << length << " of " << text.size() << " bytes: " << message);
    REQUIRE(message.find("checkpoint 'sample.ckpt': truncated") == 0);
  }
  // The count says how far it got.
  const auto numbers_start = text.find("== keys_and_values\n") + std::string("== keys_and_values\n").size();
  const auto third_line = text.find('\n', text.find('\n', numbers_start) + 1) + 1;
  CHECK(parse_error(text.substr(0, third_line)) == "checkpoint 'sample.ckpt': truncated: 14 of 42 key/value numbers");
}

TEST_CASE("load_checkpoint names the file and what is wrong with it", "[checkpoint]") {
  const std::string text = sample_text();
  CHECK(parse_error("") == "checkpoint 'sample.ckpt': empty file, not an attnlab checkpoint");
  CHECK(parse_error("seed = 1\n[data]\n") ==
        "checkpoint 'sample.ckpt': not an attnlab checkpoint (it does not start with 'attnlab-checkpoint <version>')");
  CHECK(parse_error(replace_once(text, "attnlab-checkpoint 2\n", "attnlab-checkpoint 3\n")) ==
        "checkpoint 'sample.ckpt': format version 3 is newer than this attnlab reads (2); upgrade attnlab");

  const auto first_number = text.find("== keys_and_values\n") + std::string("== keys_and_values\n").size();
  const std::string with_nan = text.substr(0, first_number) + "nan" + text.substr(text.find(' ', first_number));
  CHECK(parse_error(with_nan) == "checkpoint 'sample.ckpt': non-finite number 'nan' in keys_and_values (number 1)");
  const std::string with_word = text.substr(0, first_number) + "x" + text.substr(first_number + 1);
  CHECK_THAT(parse_error(with_word), Catch::Contains("in keys_and_values is not a number"));

  // One number more than the header's shape needs.
  CHECK(parse_error(replace_once(text, "== biases\n", "0.5\n== biases\n")) ==
        "checkpoint 'sample.ckpt': keys_and_values holds 43 numbers, but its header's H = 3, D = 7 needs 42");
  CHECK_THAT(parse_error(replace_once(text, "heads = 3\n", "heads = 2\n")),
             Catch::StartsWith("checkpoint 'sample.ckpt': keys_and_values holds 42 numbers, but its header's H = 2"));
  CHECK_THAT(parse_error(replace_once(text, "dimension = 7\n", "dimension = 4000000000\n")),
             Catch::Contains("needs 24000000000"));  // refused without allocating that much
  CHECK(parse_error(replace_once(text, "step = 40\n", "step = 40\ncolour = red\n")) ==
        "checkpoint 'sample.ckpt': unknown header key 'colour'");

  // The checksum covers the whole file: a changed digit, an edited header,
  // activation id or config line are all refused.
  std::string flipped = text;
  flipped[first_number + 3] = flipped[first_number + 3] == '1' ? '2' : '1';
  const std::string corrupt = "checkpoint 'sample.ckpt': corrupt: its checksum is ";
  CHECK_THAT(parse_error(flipped), Catch::StartsWith(corrupt) && Catch::Contains("altered or damaged"));
  CHECK_THAT(parse_error(replace_once(text, "seed = 11\n", "seed = 12\n")), Catch::StartsWith(corrupt));
  CHECK_THAT(parse_error(replace_once(text, "activation = softmax1\n", "activation = softmax\n")),
             Catch::StartsWith(corrupt));
  CHECK_THAT(parse_error(replace_once(text, "batch = 16\n", "batch = 17\n")), Catch::StartsWith(corrupt));
  CHECK(parse_error(text + "more\n") == "checkpoint 'sample.ckpt': unexpected text after the end marker");

  CHECK_THROWS_WITH(attnlab::load_checkpoint("/no/such/model.ckpt"),
                    "checkpoint '/no/such/model.ckpt': file does not exist");
}

// FNV-1a of the numbers' bit patterns, as format 1 wrote it (written out here
// again, independently of the reader).
std::string format1_checksum(const std::vector<double>& numbers) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (const double value : numbers) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &value, 8);
    for (int byte = 0; byte < 8; ++byte) {
      hash ^= (bits >> (8 * byte)) & 0xffu;
      hash *= 0x100000001b3ull;
    }
  }
  char text[40];
  std::snprintf(text, sizeof text, "fnv1a64:%016llx", static_cast<unsigned long long>(hash));
  return text;
}

TEST_CASE("format 1 checkpoints (checksum of the numbers only) are still read", "[checkpoint]") {
  const std::string text = sample_text();
  const Checkpoint checkpoint = attnlab::parse_checkpoint(text, "memory");
  std::vector<double> numbers(checkpoint.keys_and_values.data(),
                              checkpoint.keys_and_values.data() + checkpoint.keys_and_values.size());
  numbers.insert(numbers.end(), checkpoint.biases.data(), checkpoint.biases.data() + checkpoint.biases.size());
  numbers.insert(numbers.end(), checkpoint.activation_parameters.begin(), checkpoint.activation_parameters.end());
  const auto marker = text.rfind("== end ");
  const std::string old_format =
      replace_once(text.substr(0, marker), "attnlab-checkpoint 2\n", "attnlab-checkpoint 1\n") + "== end " +
      std::to_string(numbers.size()) + " " + format1_checksum(numbers) + "\n";
  CHECK(parse_error(old_format) == "(accepted)");
  // There the header was not covered; the numbers were.
  CHECK(parse_error(replace_once(old_format, "step = 40\n", "step = 41\n")) == "(accepted)");
  std::string flipped = old_format;
  const auto first_number = flipped.find("== keys_and_values\n") + std::string("== keys_and_values\n").size();
  flipped[first_number + 3] = flipped[first_number + 3] == '1' ? '2' : '1';
  CHECK_THAT(parse_error(flipped), Catch::StartsWith("checkpoint 'sample.ckpt': corrupt: its checksum is "));
}

TEST_CASE("restore_learner refuses a learner of another shape", "[checkpoint]") {
  auto registry = attnlab::test::builtin_registry();
  const Checkpoint checkpoint = attnlab::parse_checkpoint(sample_text(), "memory");
  Learner wider(LearnerShape{3, 8, 5, true}, attnlab::Activation(registry.get("softmax1")), kBatch);
  CHECK_THROWS_WITH(attnlab::restore_learner(wider, checkpoint),
                    "a checkpoint of H = 3, D = 7, L = 5, bias true does not fit a learner of H = 3, D = 8, L = 5, "
                    "bias true");
}
