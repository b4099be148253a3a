#include <attnlab/framework/common/atomic_files.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/file_hash.hpp>
#include <attnlab/framework/results/checkpoint.hpp>

#include <fmt/format.h>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>

namespace attnlab {
namespace {

constexpr std::string_view kMagic = "attnlab-checkpoint";
constexpr std::string_view kSectionPrefix = "== ";

// The count of the numbers, and (for format 1 files) an FNV-1a over their
// bit patterns in file order.
class NumberChecksum {
 public:
  void add(double value) {
    const auto bits = std::bit_cast<std::array<char, 8>>(value);
    hash_.add(std::string_view(bits.data(), bits.size()));
    ++count_;
  }
  std::string text() const { return hash_.text(); }
  std::uint64_t count() const { return count_; }

 private:
  Fnv1a hash_;
  std::uint64_t count_ = 0;
};

// Text as lines; "a\nb\n" is {"a", "b", ""} so that the exact text comes back.
std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  if (text.empty()) return lines;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return lines;
    start = end + 1;
  }
}

void write_numbers(std::string& out, const double* data, std::size_t count, std::size_t per_line,
                   NumberChecksum& checksum) {
  for (std::size_t i = 0; i < count; ++i) {
    fmt::format_to(std::back_inserter(out), "{:.17g}{}", data[i],
                   (i + 1) % per_line == 0 || i + 1 == count ? "\n" : " ");
    checksum.add(data[i]);
  }
}

template <class T>
std::optional<T> parse_value(std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// Reads one checkpoint text; every failure names the file.
class CheckpointParser {
 public:
  CheckpointParser(const std::string& text, std::string source) : text_(text), source_(std::move(source)) {
    // Only lines ending in '\n' are complete; anything after the last one
    // was cut off (or is junk after the end marker).
    std::size_t start = 0;
    for (auto end = text.find('\n'); end != std::string::npos; end = text.find('\n', start)) {
      lines_.push_back(text.substr(start, end - start));
      line_offsets_.push_back(start);
      start = end + 1;
    }
    tail_ = text.substr(start);
  }

  Checkpoint parse() {
    read_magic();
    read_header();
    Checkpoint result;
    result.activation = header_string("activation");
    result.seed = header_number<std::uint64_t>("seed");
    result.step = header_number<std::uint64_t>("step");
    result.time = header_number<double>("time");
    if (!std::isfinite(result.time) || result.time < 0) fail("header 'time' = " + header_.at("time") + " is invalid");
    result.shape.heads = positive("heads");
    result.shape.dimension = positive("dimension");
    result.shape.length = positive("length");
    result.shape.trainable_bias = header_bool("trainable_bias");
    const auto parameter_count = header_number<std::uint32_t>("activation_parameters");
    const auto params_lines = header_number<std::uint32_t>("activation_params_lines");
    const auto config_lines = header_number<std::uint32_t>("config_lines");
    for (const auto& [key, value] : header_) {
      if (used_.count(key) == 0) fail("unknown header key '" + key + "'");
    }

    result.activation_params = read_text("activation_params", params_lines);
    result.config_toml = read_text("config", config_lines);

    // Numbers are collected before anything is sized from the header, so a
    // damaged header cannot ask for a huge allocation.
    const std::uint32_t h = result.shape.heads;
    const std::uint32_t d = result.shape.dimension;
    const auto keys_and_values =
        read_numbers("keys_and_values", "key/value", std::size_t{2} * h * d, fmt::format("H = {}, D = {}", h, d));
    result.keys_and_values = ConstMatrixMap(keys_and_values.data(), Eigen::Index{2} * h, d);
    const auto biases = read_numbers("biases", "bias", h, fmt::format("H = {}", h));
    result.biases = Eigen::Map<const Eigen::VectorXd>(biases.data(), h);
    result.activation_parameters = read_numbers("activation_parameters", "activation parameter", parameter_count,
                                                fmt::format("activation_parameters = {}", parameter_count));
    read_end_marker();
    check_config(result);
    return result;
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw UsageError("checkpoint '" + source_ + "': " + message);
  }

  bool at_end() const { return next_ >= lines_.size(); }
  static bool is_section(const std::string& line) { return line.starts_with(kSectionPrefix); }

  void read_magic() {
    if (at_end()) {
      if (tail_.empty()) fail("empty file, not an attnlab checkpoint");
      const std::string magic_line = std::string(kMagic) + " ";
      if (magic_line.starts_with(tail_) || tail_.starts_with(magic_line)) fail("truncated within its first line");
      fail("not an attnlab checkpoint (it does not start with '" + std::string(kMagic) + "')");
    }
    const std::string& line = lines_[next_++];
    const std::string prefix = std::string(kMagic) + " ";
    const auto version = line.starts_with(prefix)
                             ? parse_value<std::uint32_t>(std::string_view(line).substr(prefix.size()))
                             : std::nullopt;
    if (!version || *version == 0) {
      fail("not an attnlab checkpoint (it does not start with '" + std::string(kMagic) + " <version>')");
    }
    if (*version > kCheckpointFormatVersion) {
      fail(fmt::format("format version {} is newer than this attnlab reads ({}); upgrade attnlab", *version,
                       kCheckpointFormatVersion));
    }
    version_ = *version;
  }

  void read_header() {
    while (!at_end() && !is_section(lines_[next_])) {
      const std::string& line = lines_[next_++];
      const auto eq = line.find(" = ");
      if (eq == std::string::npos || eq == 0) fail("header line '" + line + "' is not 'key = value'");
      const std::string key = line.substr(0, eq);
      if (!header_.emplace(key, line.substr(eq + 3)).second) fail("header key '" + key + "' appears twice");
    }
    if (at_end()) fail("truncated: the header ends before its sections");
  }

  const std::string& header_string(const std::string& key) {
    const auto it = header_.find(key);
    if (it == header_.end()) fail("header lacks '" + key + "'");
    used_.insert(key);
    return it->second;
  }

  template <class T>
  T header_number(const std::string& key) {
    const std::string& text = header_string(key);
    const auto value = parse_value<T>(text);
    if (!value) fail("header '" + key + "' = '" + text + "' is not a valid number");
    return *value;
  }

  std::uint32_t positive(const std::string& key) {
    const auto value = header_number<std::uint32_t>(key);
    if (value == 0) fail("header '" + key + "' must be at least 1");
    return value;
  }

  bool header_bool(const std::string& key) {
    const std::string& text = header_string(key);
    if (text != "true" && text != "false") fail("header '" + key + "' = '" + text + "' must be true or false");
    return text == "true";
  }

  void expect_section(const std::string& name) {
    if (at_end()) fail("truncated: no '" + name + "' section");
    const std::string& line = lines_[next_++];
    if (line != std::string(kSectionPrefix) + name) {
      fail("expected the section line '" + std::string(kSectionPrefix) + name + "', found '" + line + "'");
    }
  }

  std::string read_text(const std::string& name, std::uint32_t count) {
    expect_section(name);
    std::string text;
    for (std::uint32_t i = 0; i < count; ++i) {
      if (at_end()) fail(fmt::format("truncated: {} of {} {} lines", i, count, name));
      text += (i == 0 ? "" : "\n") + lines_[next_++];
    }
    return text;
  }

  std::vector<double> read_numbers(const std::string& name, const std::string& what, std::size_t expected,
                                   const std::string& header_shape) {
    expect_section(name);
    std::vector<double> numbers;
    while (!at_end() && !is_section(lines_[next_])) {
      std::istringstream tokens(lines_[next_++]);
      std::string token;
      while (tokens >> token) {
        const auto value = parse_value<double>(token);
        if (!value) fail(fmt::format("'{}' in {} is not a number", token, name));
        if (!std::isfinite(*value)) {
          fail(fmt::format("non-finite number '{}' in {} (number {})", token, name, numbers.size() + 1));
        }
        checksum_.add(*value);
        numbers.push_back(*value);
      }
    }
    if (at_end() && numbers.size() < expected) {
      fail(fmt::format("truncated: {} of {} {} numbers", numbers.size(), expected, what));
    }
    if (numbers.size() != expected) {
      fail(fmt::format("{} holds {} numbers, but its header's {} needs {}", name, numbers.size(), header_shape,
                       expected));
    }
    return numbers;
  }

  void read_end_marker() {
    if (at_end()) fail("truncated: no end marker");
    const std::string& line = lines_[next_++];
    std::istringstream fields(line);
    std::string marker;
    std::string end;
    std::string count_text;
    std::string hash;
    fields >> marker >> end >> count_text >> hash;
    const auto count = parse_value<std::uint64_t>(count_text);
    if (marker + " " != kSectionPrefix || end != "end" || !count || hash.empty()) {
      fail("expected the end marker '== end <count> <checksum>', found '" + line + "'");
    }
    if (*count != checksum_.count()) {
      fail(fmt::format("corrupt: the end marker counts {} numbers, the file holds {}", *count, checksum_.count()));
    }
    // Format 1 summed the numbers only; from 2 on the checksum covers every
    // byte before the end marker, header and config included.
    std::string expected = checksum_.text();
    if (version_ >= 2) {
      Fnv1a content;
      content.add(std::string_view(text_).substr(0, line_offsets_[next_ - 1]));
      expected = content.text();
    }
    if (hash != expected) {
      fail("corrupt: its checksum is " + expected + ", the end marker says " + hash +
           " (the file was altered or damaged after attnlab wrote it)");
    }
    if (!at_end() || !tail_.empty()) fail("unexpected text after the end marker");
  }

  // The header repeats what the config fixes; they must agree.
  void check_config(const Checkpoint& checkpoint) const {
    CompareConfig config;
    try {
      config = parse_compare_config(checkpoint.config_toml, "config");
    } catch (const UsageError& e) {
      fail(std::string("its config is invalid: ") + e.what());
    }
    if (config.seed != checkpoint.seed) {
      fail(fmt::format("header says seed = {}, its config says seed = {}", checkpoint.seed, config.seed));
    }
    if (config.heads != checkpoint.shape.heads) {
      fail(fmt::format("header says heads = {}, its config says model.heads = {}", checkpoint.shape.heads,
                       config.heads));
    }
    if (config.trainable_bias != checkpoint.shape.trainable_bias) {
      fail(fmt::format("header says trainable_bias = {}, its config says model.bias = {}",
                       checkpoint.shape.trainable_bias, config.trainable_bias));
    }
  }

  const std::string& text_;
  std::string source_;
  std::uint32_t version_ = 0;
  std::vector<std::string> lines_;
  std::vector<std::size_t> line_offsets_;  // where each line starts in text_
  std::string tail_;                       // after the last '\n'
  std::size_t next_ = 0;
  std::map<std::string, std::string> header_;
  std::set<std::string> used_;
  NumberChecksum checksum_;
};

}  // namespace

Checkpoint make_checkpoint(const Learner& learner, const CompareConfig& config, std::uint64_t step, double time) {
  Checkpoint checkpoint;
  checkpoint.activation = learner.activation().plugin().id();
  const auto params = config.activation_params.find(checkpoint.activation);
  checkpoint.activation_params = params == config.activation_params.end() ? "" : params->second;
  checkpoint.config_toml = config.resolved_toml;
  checkpoint.seed = config.seed;
  checkpoint.step = step;
  checkpoint.time = time;
  checkpoint.shape = learner.shape();
  checkpoint.keys_and_values = learner.keys_and_values();
  checkpoint.biases = learner.biases();
  checkpoint.activation_parameters = learner.activation_parameters();
  return checkpoint;
}

Checkpoint make_checkpoint(const Comparison& comparison, std::size_t model) {
  return make_checkpoint(comparison.learner(model), comparison.config(), comparison.step(),
                         comparison.schedule().time_at(comparison.step()));
}

void restore_learner(Learner& learner, const Checkpoint& checkpoint) {
  const LearnerShape& have = learner.shape();
  const LearnerShape& want = checkpoint.shape;
  if (have.heads != want.heads || have.dimension != want.dimension || have.length != want.length ||
      have.trainable_bias != want.trainable_bias) {
    throw UsageError(fmt::format(
        "a checkpoint of H = {}, D = {}, L = {}, bias {} does not fit a learner of H = {}, D = {}, L = {}, bias {}",
        want.heads, want.dimension, want.length, want.trainable_bias, have.heads, have.dimension, have.length,
        have.trainable_bias));
  }
  const std::size_t parameter_count = learner.activation().parameter_count();
  if (parameter_count != checkpoint.activation_parameters.size()) {
    throw UsageError(fmt::format("activation '{}' has {} learnable parameters, the checkpoint holds {}",
                                 checkpoint.activation, parameter_count, checkpoint.activation_parameters.size()));
  }
  learner.keys_and_values() = checkpoint.keys_and_values;
  learner.biases() = checkpoint.biases;
  if (parameter_count > 0) learner.set_activation_parameters(checkpoint.activation_parameters);
}

std::string checkpoint_text(const Checkpoint& checkpoint) {
  const auto params_lines = split_lines(checkpoint.activation_params);
  const auto config_lines = split_lines(checkpoint.config_toml);
  const LearnerShape& shape = checkpoint.shape;
  std::string out = fmt::format("{} {}\n", kMagic, kCheckpointFormatVersion);
  fmt::format_to(std::back_inserter(out),
                 "activation = {}\nseed = {}\nstep = {}\ntime = {:.17g}\nheads = {}\ndimension = {}\nlength = {}\n"
                 "trainable_bias = {}\nactivation_parameters = {}\nactivation_params_lines = {}\nconfig_lines = {}\n",
                 checkpoint.activation, checkpoint.seed, checkpoint.step, checkpoint.time, shape.heads, shape.dimension,
                 shape.length, shape.trainable_bias, checkpoint.activation_parameters.size(), params_lines.size(),
                 config_lines.size());
  out += std::string(kSectionPrefix) + "activation_params\n";
  for (const auto& line : params_lines) out += line + "\n";
  out += std::string(kSectionPrefix) + "config\n";
  for (const auto& line : config_lines) out += line + "\n";

  NumberChecksum checksum;
  out += std::string(kSectionPrefix) + "keys_and_values\n";
  write_numbers(out, checkpoint.keys_and_values.data(), static_cast<std::size_t>(checkpoint.keys_and_values.size()),
                shape.dimension, checksum);
  out += std::string(kSectionPrefix) + "biases\n";
  write_numbers(out, checkpoint.biases.data(), static_cast<std::size_t>(checkpoint.biases.size()), shape.heads,
                checksum);
  out += std::string(kSectionPrefix) + "activation_parameters\n";
  write_numbers(out, checkpoint.activation_parameters.data(), checkpoint.activation_parameters.size(),
                std::max<std::size_t>(checkpoint.activation_parameters.size(), 1), checksum);
  Fnv1a content;
  content.add(out);
  fmt::format_to(std::back_inserter(out), "{}end {} {}\n", kSectionPrefix, checksum.count(), content.text());
  return out;
}

Checkpoint parse_checkpoint(const std::string& text, const std::string& source_name) {
  return CheckpointParser(text, source_name).parse();
}

void save_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint) {
  const std::string text = checkpoint_text(checkpoint);
  std::error_code error;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), error);
  if (error) throw UsageError("cannot create '" + path.parent_path().string() + "': " + error.message());
  write_file_atomically(path, text);
}

Checkpoint load_checkpoint(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error))
    throw UsageError("checkpoint '" + path.string() + "': file does not exist");
  if (std::filesystem::is_directory(path, error)) throw UsageError("checkpoint '" + path.string() + "' is a folder");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("checkpoint '" + path.string() + "': cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_checkpoint(text.str(), path.string());
}

}  // namespace attnlab
