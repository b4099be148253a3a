// Shared helpers of the plugin tests: where the plugins are, temporary
// folders, and short forms of the Activation calls.
#pragma once

#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/hosting/activation.hpp>
#include <attnlab/framework/hosting/plugin_library.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace attnlab::test {

using Buffer = std::vector<double>;
using Mask = std::vector<unsigned char>;

// The build's built-in plugin folder and the fixture plugin folders.
std::filesystem::path builtin_dir();
std::filesystem::path good_fixture_dir();
std::filesystem::path bad_fixture_dir();

// A fixture plugin file by its output name, e.g. bad_fixture("fixture-abi-major").
std::filesystem::path good_fixture(const std::string& name);
std::filesystem::path bad_fixture(const std::string& name);
// A fault-injection fixture, e.g. faulty_fixture("faulty-activation").
std::filesystem::path faulty_fixture(const std::string& name);

// Loads a built-in plugin by id (its file is <id>.so).
std::shared_ptr<const PluginLibrary> builtin_plugin(const std::string& id);

// A fresh, empty folder under the system temp folder, removed with its content.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void write_text_file(const std::filesystem::path& path, const std::string& text);

Buffer forward(Activation& activation, ScoreShape shape, const Buffer& scores, const Mask& mask = {});

// `count` independent N(0, scale^2) numbers.
Buffer random_buffer(Rng& rng, std::size_t count, double scale);

// The message of the Expected exception `body` throws; fails the test when it
// throws nothing (or lets another exception type propagate).
template <class Expected, class Body>
std::string thrown_message(Body&& body) {
  try {
    body();
  } catch (const Expected& e) {
    return e.what();
  }
  FAIL("no exception was thrown");
  return {};
}

}  // namespace attnlab::test
