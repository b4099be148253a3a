#include "test_support.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace attnlab::test {

std::filesystem::path builtin_dir() {
  return ATTNLAB_TEST_BUILTIN_PLUGIN_DIR;
}
std::filesystem::path good_fixture_dir() {
  return std::filesystem::path(ATTNLAB_TEST_FIXTURE_DIR) / "good";
}
std::filesystem::path bad_fixture_dir() {
  return std::filesystem::path(ATTNLAB_TEST_FIXTURE_DIR) / "bad";
}

std::filesystem::path good_fixture(const std::string& name) {
  return good_fixture_dir() / (name + ".so");
}
std::filesystem::path bad_fixture(const std::string& name) {
  return bad_fixture_dir() / (name + ".so");
}
std::filesystem::path faulty_fixture(const std::string& name) {
  return std::filesystem::path(ATTNLAB_TEST_FIXTURE_DIR) / "faulty" / (name + ".so");
}

std::shared_ptr<const PluginLibrary> builtin_plugin(const std::string& id) {
  return PluginLibrary::load(builtin_dir() / (id + ".so"));
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "attnlab-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a temporary folder " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;  // cleanup must not throw from a destructor
  std::filesystem::remove_all(path_, ignored);
}

void write_text_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

Buffer forward(Activation& activation, ScoreShape shape, const Buffer& scores, const Mask& mask) {
  Buffer weights(shape.size());
  activation.forward(shape, scores, mask, weights);
  return weights;
}

Buffer random_buffer(Rng& rng, std::size_t count, double scale) {
  Buffer values(count);
  for (auto& v : values) v = scale * rng.normal();
  return values;
}

}  // namespace attnlab::test
