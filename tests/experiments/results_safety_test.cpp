// What keeps users' results safe: --force replaces only attnlab's folders,
// locks keep runs apart, default folder names never collide, groups of
// files appear whole, run states are checked before a resume, and sizes and
// types are checked before any work.
#include "test_plugins.hpp"

#include <attnlab/framework/common/atomic_files.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/results/results_folder.hpp>
#include <attnlab/framework/training/compare_config.hpp>
#include <attnlab/framework/training/comparison.hpp>

#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

namespace {

namespace fs = std::filesystem;
using attnlab::ExistingFolderPolicy;
using attnlab::ResultsFolder;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

fs::path fresh_temp_dir(const std::string& name) {
  const auto path = fs::temp_directory_path() / name;
  fs::remove_all(path);
  return path;
}

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Entries of `folder` whose names start with `prefix`.
std::size_t count_entries(const fs::path& folder, const std::string& prefix) {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) ++count;
  }
  return count;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("forcing refuses a folder attnlab did not make, and leaves it as it was", "[results][safety]") {
  const auto dir = fresh_temp_dir("attnlab_safety_user_folder");
  fs::create_directories(dir / "data");
  std::ofstream(dir / "thesis.tex") << "chapter 1\n";
  CHECK(error_of([&] { ResultsFolder(dir, ExistingFolderPolicy::Force); }) ==
        "refusing to replace '" + dir.string() +
            "' with --force: attnlab did not make it (no .attnlab-results file; it holds data/, thesis.tex); "
            "remove it yourself or choose another --out");
  CHECK(read_all(dir / "thesis.tex") == "chapter 1\n");
  CHECK(std::distance(fs::directory_iterator(dir), {}) == 2);
  // An empty folder holds nothing to lose: it is used as it is.
  const auto empty = fresh_temp_dir("attnlab_safety_empty_folder");
  fs::create_directories(empty);
  ResultsFolder(empty, ExistingFolderPolicy::Force).create();
  CHECK(fs::exists(empty / attnlab::kMarkerFileName));
  fs::remove_all(dir);
  fs::remove_all(empty);
}

TEST_CASE("forcing never replaces the current directory or a folder holding it", "[results][safety]") {
  const auto dir = fresh_temp_dir("attnlab_safety_cwd");
  ResultsFolder(dir, ExistingFolderPolicy::Refuse).create();  // attnlab's, even
  std::ofstream(dir / "notes.txt") << "x";
  const auto previous = fs::current_path();
  fs::create_directories(dir / "inner");
  fs::current_path(dir / "inner");
  CHECK(error_of([&] { ResultsFolder(dir, ExistingFolderPolicy::Force); }) ==
        "refusing to replace '" + dir.string() + "' with --force: it is or contains the current directory");
  CHECK(error_of([&] { ResultsFolder("..", ExistingFolderPolicy::Force); }) ==
        "refusing to replace '..' with --force: it is or contains the current directory");
  fs::current_path(previous);
  CHECK(fs::exists(dir / "notes.txt"));
  fs::remove_all(dir);
}

TEST_CASE("forcing moves attnlab's old folder aside and deletes it only at the new run's first write",
          "[results][safety]") {
  const auto dir = fresh_temp_dir("attnlab_safety_replace");
  {
    ResultsFolder old(dir, ExistingFolderPolicy::Refuse);
    old.create();
    old.write_atomically("summary.csv", "old results\n");
  }
  // Appended piecewise: GCC 12 warns (-Wrestrict, falsely) on "." + s + "...".
  std::string aside_prefix = ".";
  aside_prefix += dir.filename().string();
  aside_prefix += ".replaced-";
  {
    ResultsFolder replacing(dir, ExistingFolderPolicy::Force);
    replacing.create();
    // Set up, not yet written: the old results still exist, moved aside.
    CHECK_FALSE(fs::exists(dir / "summary.csv"));
    CHECK(count_entries(dir.parent_path(), aside_prefix) == 1);
    replacing.write_atomically("config.toml", "seed = 1\n");
    CHECK(count_entries(dir.parent_path(), aside_prefix) == 0);
  }
  CHECK(read_all(dir / "config.toml") == "seed = 1\n");
  CHECK(fs::exists(dir / attnlab::kMarkerFileName));
  fs::remove_all(dir);
}

TEST_CASE("a folder in use is refused, naming the PID that holds it", "[results][safety]") {
  const auto dir = fresh_temp_dir("attnlab_safety_lock");
  ResultsFolder running(dir, ExistingFolderPolicy::Refuse);
  running.create();
  running.write_atomically("config.toml", "seed = 1\n");
  const std::string in_use = "results folder '" + dir.string() + "' is in use by another attnlab run (PID " +
                             std::to_string(::getpid()) + "); wait for it to finish or stop it";
  CHECK(error_of([&] { ResultsFolder(dir, ExistingFolderPolicy::Resume); }) == in_use);
  CHECK(error_of([&] { ResultsFolder(dir, ExistingFolderPolicy::Force); }) == in_use);
  CHECK(read_all(dir / "config.toml") == "seed = 1\n");
  fs::remove_all(dir);
}

TEST_CASE("a folder filled by another run between the check and the lock is refused", "[results][safety]") {
  const auto dir = fresh_temp_dir("attnlab_safety_race");
  ResultsFolder late(dir, ExistingFolderPolicy::Refuse);  // checked: nothing there yet
  {
    ResultsFolder early(dir, ExistingFolderPolicy::Refuse);
    early.create();
    early.write_atomically("metrics.jsonl", "{}\n");
  }
  CHECK_THROWS_WITH(late.create(), "results folder '" + dir.string() +
                                       "' already exists; use --resume to continue it or --force to replace it");
  CHECK(read_all(dir / "metrics.jsonl") == "{}\n");
  fs::remove_all(dir);
}

TEST_CASE("default folder names are unique even within one second", "[results][safety]") {
  const auto parent = fresh_temp_dir("attnlab_safety_names");
  std::set<fs::path> names;
  {
    std::vector<ResultsFolder> folders;
    for (int i = 0; i < 5; ++i) folders.push_back(ResultsFolder::unique((parent / "compare").string()));
    for (const auto& folder : folders) names.insert(folder.path());
    CHECK(names.size() == 5);
    for (const auto& name : names) CHECK(fs::is_directory(name));
    folders.front().create();
  }
  // A run that failed before create() leaves nothing behind; one that
  // started keeps its folder.
  CHECK(std::distance(fs::directory_iterator(parent), {}) == 1);
  CHECK(fs::exists(*names.begin() / attnlab::kMarkerFileName));
  fs::remove_all(parent);
}

TEST_CASE("staged files appear all together or not at all", "[results][safety]") {
  const auto dir = fresh_temp_dir("attnlab_safety_staged");
  fs::create_directories(dir);
  {
    attnlab::StagedFiles files;
    files.stage(dir / "summary.txt", "table\n");
    // A file that cannot be written (its folder is missing) fails the group.
    CHECK(error_of([&] { files.stage(dir / "missing" / "summary.csv", "csv\n"); }) ==
          "cannot write '" + (dir / "missing" / "summary.csv").string() + "': No such file or directory");
  }
  CHECK(fs::is_empty(dir));  // nothing appeared, no temporary left
  {
    attnlab::StagedFiles files;
    files.stage(dir / "summary.txt", "table\n");
    files.stage(dir / "summary.csv", "csv\n");
    CHECK_FALSE(fs::exists(dir / "summary.txt"));
    files.commit();
  }
  CHECK(read_all(dir / "summary.txt") == "table\n");
  CHECK(read_all(dir / "summary.csv") == "csv\n");
  CHECK(std::distance(fs::directory_iterator(dir), {}) == 2);
  fs::remove_all(dir);
}

TEST_CASE("an existing file staged with others appears with them, or is removed with them", "[results][safety]") {
  const auto dir = fresh_temp_dir("attnlab_safety_staged_file");
  fs::create_directories(dir / "drafts");
  const auto draft = [&](const std::string& name, const std::string& content) {
    std::ofstream(dir / "drafts" / name) << content;
    return dir / "drafts" / name;
  };
  {
    attnlab::StagedFiles files;
    files.stage_file(dir / "figure.png", draft("figure.png", "png"));
    CHECK_FALSE(fs::exists(dir / "drafts" / "figure.png"));
    CHECK_FALSE(fs::exists(dir / "figure.png"));
    CHECK(error_of([&] { files.stage_file(dir / "other.png", dir / "drafts" / "missing.png"); }) ==
          "cannot move '" + (dir / "drafts" / "missing.png").string() + "' to '" + (dir / "other.png").string() +
              "': No such file or directory");
  }
  CHECK(fs::is_empty(dir / "drafts"));
  CHECK(std::distance(fs::directory_iterator(dir), {}) == 1);  // drafts/ only: no temporary left
  {
    attnlab::StagedFiles files;
    files.stage_file(dir / "figure.png", draft("figure.png", "png"));
    files.stage(dir / "summary.csv", "csv\n");
    files.commit();
  }
  CHECK(read_all(dir / "figure.png") == "png");
  CHECK(read_all(dir / "summary.csv") == "csv\n");
  CHECK(std::distance(fs::directory_iterator(dir), {}) == 3);
  fs::remove_all(dir);
}

TEST_CASE("a run state that was damaged or belongs to another config is refused, naming the file",
          "[results][safety]") {
  auto registry = attnlab::test::builtin_registry();
  const std::vector<std::string> small = {
      "data.D=12",         "data.L=4",     "train.time=4", "eval.test_size=32", "eval.bayes_samples=0",
      "eval.log_points=3", "model.heads=2"};
  const auto config = attnlab::load_compare_config(std::nullopt, small);
  attnlab::Comparison trained(config, registry);
  trained.run([](const attnlab::LogPoint&) {});
  const std::string state = trained.save_state();

  attnlab::Comparison fresh(config, registry);
  fresh.load_state(state, "run/checkpoint.bin");
  CHECK(fresh.step() == trained.step());
  CHECK(fresh.save_state() == state);

  // Every single-bit flip is caught (40 random ones).
  std::mt19937_64 random(7);
  for (int flip = 0; flip < 40; ++flip) {
    std::string damaged = state;
    const std::size_t bit = random() % (8 * damaged.size());
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    attnlab::Comparison target(config, registry);
    INFO("bit " << bit << " of " << 8 * damaged.size());
    CHECK_THAT(error_of([&] { target.load_state(damaged, "run/checkpoint.bin"); }),
               StartsWith("checkpoint 'run/checkpoint.bin': "));
  }
  attnlab::Comparison target(config, registry);
  CHECK(error_of([&] { target.load_state(state.substr(0, state.size() - 9), "run/checkpoint.bin"); }) ==
        "checkpoint 'run/checkpoint.bin': damaged: its checksum does not match its content (cut short or altered)");

  // Another seed or noise level: refused, saying what differs.
  auto other_overrides = small;
  other_overrides.insert(other_overrides.end(), {"seed=2", "data.delta=0.5"});
  attnlab::Comparison other(attnlab::load_compare_config(std::nullopt, other_overrides), registry);
  CHECK(error_of([&] { other.load_state(state, "run/checkpoint.bin"); }) ==
        "checkpoint 'run/checkpoint.bin': it was written for another config (checkpoint vs now: data.delta = 0.1 vs "
        "0.5; seed = 1 vs 2)");
  // The thread count does not change results: a resume may use another.
  auto threads_overrides = small;
  threads_overrides.push_back("train.threads=1");
  attnlab::Comparison one_thread(attnlab::load_compare_config(std::nullopt, threads_overrides), registry);
  CHECK_NOTHROW(one_thread.load_state(state, "run/checkpoint.bin"));
}

TEST_CASE("an impossible size is refused before any work, naming the keys", "[results][safety]") {
  auto registry = attnlab::test::builtin_registry();
  const auto start = std::chrono::steady_clock::now();
  const auto config = attnlab::load_compare_config(std::nullopt, {"data.D=10000000"});
  CHECK_THAT(error_of([&] { attnlab::Comparison(config, registry); }),
             StartsWith("the run needs about ") &&
                 Contains("most of it is the test set (eval.test_size = 4096 x L = 8 x data.D = 10000000 numbers)"));
  // Refused from the sizes, not after minutes of drawing a test set (a loose
  // bound: machines under load and sanitizer builds are slow).
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(60));
}

TEST_CASE("Gram matrices are logged only up to eval.max_gram_heads", "[results][safety]") {
  auto registry = attnlab::test::builtin_registry();
  for (const std::uint32_t heads : {2u, 3u}) {
    const auto config = attnlab::load_compare_config(
        std::nullopt, {"data.D=12", "data.L=4", "train.time=1", "eval.test_size=16", "eval.bayes_samples=0",
                       "eval.log_points=1", "model.heads=" + std::to_string(heads), "eval.max_gram_heads=2"});
    attnlab::Comparison comparison(config, registry);
    std::vector<attnlab::LogPoint> points;
    comparison.run([&](const attnlab::LogPoint& point) { points.push_back(point); });
    REQUIRE_FALSE(points.empty());
    const auto& evaluation = *points.back().models.front().evaluation;
    CHECK(evaluation.key_gram.rows() == (heads <= 2 ? heads : 0));
    CHECK(evaluation.key_overlaps.rows() == heads);
  }
}

TEST_CASE("a model left uncreated is stopped from the start, costs the others nothing, and resumes",
          "[results][safety]") {
  auto registry = attnlab::test::builtin_registry();
  const auto config = attnlab::load_compare_config(
      std::nullopt, {"data.D=12", "data.L=4", "train.time=4", "eval.test_size=32", "eval.bayes_samples=0",
                     "eval.log_points=3", "model.heads=2", "activations=[\"softmax\", \"softmax1\"]"});
  const std::map<std::string, attnlab::UnmadeModel> unmade{{"softmax", {0, "crashed: in create"}}};

  std::vector<attnlab::LogPoint> full_points;
  attnlab::Comparison full(config, registry);
  full.run([&](const attnlab::LogPoint& point) { full_points.push_back(point); });
  std::vector<attnlab::LogPoint> points;
  attnlab::Comparison partial(config, registry, unmade);
  CHECK(partial.statuses()[0].stopped);
  CHECK(partial.statuses()[0].reason == "crashed: in create");
  CHECK_THROWS_AS(partial.learner(0), std::logic_error);
  partial.run([&](const attnlab::LogPoint& point) { points.push_back(point); });
  REQUIRE(points.size() == full_points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    CHECK_FALSE(points[i].models[0].evaluation);
    REQUIRE(points[i].models[1].evaluation);
    CHECK(points[i].models[1].evaluation->test_mse == full_points[i].models[1].evaluation->test_mse);
  }

  // Its own state round-trips; a state written before its create failed
  // (with all of that model) loads too, and the model stays uncreated.
  const std::string state = partial.save_state();
  attnlab::Comparison resumed(config, registry, unmade);
  resumed.load_state(state, "run/checkpoint.bin");
  CHECK(resumed.save_state() == state);
  attnlab::Comparison from_full(config, registry, unmade);
  from_full.load_state(full.save_state(), "run/checkpoint.bin");
  CHECK(from_full.step() == full.step());
  CHECK(from_full.statuses()[0].reason == "crashed: in create");
  CHECK(from_full.learner(1).keys_and_values() == full.learner(1).keys_and_values());
}
