// Log-point schedule, results-folder rules and metrics truncation.
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/results/results_folder.hpp>
#include <attnlab/framework/training/training_schedule.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

using Catch::Matchers::Contains;

std::filesystem::path fresh_temp_dir(const std::string& name) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(path);
  return path;
}

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("log points start at 0, increase, and end at the last step", "[schedule]") {
  const auto s = attnlab::make_schedule(100.0, 16, 50, 20);
  CHECK(s.total_steps == 313);  // ceil(100 * 50 / 16)
  REQUIRE(s.log_steps.size() >= 10);
  CHECK(s.log_steps.front() == 0);
  CHECK(s.log_steps[1] == 1);
  CHECK(s.log_steps.back() == s.total_steps);
  for (std::size_t i = 1; i < s.log_steps.size(); ++i) CHECK(s.log_steps[i] > s.log_steps[i - 1]);
  // Geometric: the ratio between late consecutive points is roughly constant.
  const double ratio = static_cast<double>(s.log_steps.back()) / s.log_steps[s.log_steps.size() - 2];
  CHECK(ratio == Approx(std::pow(313.0, 1.0 / 19)).epsilon(0.05));
  CHECK(s.time_at(s.total_steps) == Approx(313.0 * 16 / 50));
}

TEST_CASE("an existing results folder is refused unless resuming or forcing", "[results]") {
  const auto dir = fresh_temp_dir("attnlab_results_policy");
  {
    attnlab::ResultsFolder fresh(dir, attnlab::ExistingFolderPolicy::Refuse);
    CHECK_FALSE(std::filesystem::exists(dir));  // nothing is created before create()
    fresh.create();
    fresh.write_atomically("config.toml", "seed = 1\n");
  }
  CHECK_THROWS_WITH(
      attnlab::ResultsFolder(dir, attnlab::ExistingFolderPolicy::Refuse),
      "results folder '" + dir.string() + "' already exists; use --resume to continue it or --force to replace it");
  // A command without --resume does not suggest it.
  CHECK_THROWS_WITH(
      attnlab::ResultsFolder(dir, attnlab::ExistingFolderPolicy::Refuse, false),
      "results folder '" + dir.string() + "' already exists; use --force to replace it or choose another --out");
  {
    attnlab::ResultsFolder resumed(dir, attnlab::ExistingFolderPolicy::Resume);
    CHECK(resumed.resuming());
    CHECK(resumed.read("config.toml") == "seed = 1\n");
  }
  attnlab::ResultsFolder forced(dir, attnlab::ExistingFolderPolicy::Force);
  CHECK(std::filesystem::exists(dir / "config.toml"));  // still there until create()
  forced.create();
  CHECK_FALSE(std::filesystem::exists(dir / "config.toml"));
  CHECK_THROWS_WITH(
      attnlab::ResultsFolder(fresh_temp_dir("attnlab_results_none"), attnlab::ExistingFolderPolicy::Resume),
      Contains("cannot resume") && Contains("no config.toml"));
}

TEST_CASE("metrics are truncated to the last complete log point", "[results]") {
  const auto dir = fresh_temp_dir("attnlab_results_truncate");
  std::filesystem::create_directories(dir);
  const auto file = dir / "metrics.jsonl";
  std::ofstream(file) << "{\"step\":0,\"a\":1}\n{\"step\":0,\"a\":2}\n{\"step\":5,\"a\":1}\n{\"step\":9,\"a\":1}\n"
                         "{\"step\":9,\"a";  // a write cut off mid-line
  attnlab::truncate_metrics(file, 5);
  CHECK(read_all(file) == "{\"step\":0,\"a\":1}\n{\"step\":0,\"a\":2}\n{\"step\":5,\"a\":1}\n");
  attnlab::truncate_metrics(file, 0);
  CHECK(read_all(file) == "{\"step\":0,\"a\":1}\n{\"step\":0,\"a\":2}\n");
}
