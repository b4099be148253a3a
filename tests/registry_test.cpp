// PluginRegistry and discovery: folders with good and bad files, duplicate
// ids, lookups by id and kind.
#include "test_support.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/hosting/plugin_discovery.hpp>
#include <attnlab/framework/hosting/plugin_registry.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

using attnlab::PluginKind;
using attnlab::PluginLoadError;
using attnlab::PluginRegistry;
using attnlab::UsageError;
using attnlab::test::bad_fixture;
using attnlab::test::good_fixture;
using attnlab::test::TempDir;
using attnlab::test::thrown_message;
using Catch::Matchers::Contains;

namespace {

void copy_into(const std::filesystem::path& file, const std::filesystem::path& folder) {
  std::filesystem::copy_file(file, folder / file.filename());
}

std::vector<std::string> ids_of(const PluginRegistry& registry) {
  std::vector<std::string> ids;
  for (const auto& plugin : registry.plugins()) ids.push_back(plugin->id());
  return ids;
}

}  // namespace

TEST_CASE("a folder scan keeps the good plugins and reports each bad file once", "[registry]") {
  TempDir dir;
  for (const char* name : {"fixture-good", "fixture-data-model", "fixture-optimizer"})
    copy_into(good_fixture(name), dir.path());
  const std::vector<std::string> bad = {"fixture-abi-major", "fixture-abi-minor", "fixture-no-entry",
                                        "fixture-null-forward", "fixture-empty-id"};
  for (const auto& name : bad) copy_into(bad_fixture(name), dir.path());
  attnlab::test::write_text_file(dir.path() / "text.so", "not a library\n");
  attnlab::test::write_text_file(dir.path() / "README.txt", "ignored: not a .so file\n");

  PluginRegistry registry;
  const auto rejections = registry.add_directory(dir.path());

  // Name order: fixture-data-model, fixture-good, fixture-optimizer.
  CHECK(ids_of(registry) == std::vector<std::string>{"fixture-data-model", "fixture-good", "fixture-optimizer"});
  REQUIRE(rejections.size() == bad.size() + 1);
  std::vector<std::string> rejected;
  for (const auto& rejection : rejections) {
    CHECK_THAT(rejection.message, Contains(rejection.path.filename().string()));
    CHECK_FALSE(rejection.duplicate_id);
    rejected.push_back(rejection.path.stem().string());
  }
  std::vector<std::string> expected = bad;
  expected.push_back("text");
  std::sort(expected.begin(), expected.end());
  CHECK(rejected == expected);
}

TEST_CASE("a folder that cannot be read is one rejection", "[registry]") {
  PluginRegistry registry;
  const auto rejections = registry.add_directory(attnlab::test::bad_fixture_dir() / "no-such-folder");
  REQUIRE(rejections.size() == 1);
  CHECK_THAT(rejections[0].message, Contains("cannot read plugin directory") && Contains("no-such-folder"));
}

TEST_CASE("a duplicate id is refused naming both files", "[registry][fixture]") {
  PluginRegistry registry;
  registry.add_file(good_fixture("fixture-good"));
  const std::string message =
      thrown_message<attnlab::DuplicatePluginIdError>([&] { registry.add_file(bad_fixture("fixture-duplicate-id")); });
  CHECK_THAT(message, Contains("fixture-duplicate-id.so") && Contains("duplicate id 'fixture-good'") &&
                          Contains("already provided by") && Contains("good/fixture-good.so"));
  CHECK(registry.plugins().size() == 1);
  CHECK(registry.find("fixture-good")->path().filename() == "fixture-good.so");
}

TEST_CASE("a duplicate id within one folder: the first file in name order wins", "[registry][fixture]") {
  TempDir dir;
  copy_into(good_fixture("fixture-good"), dir.path());
  std::filesystem::copy_file(bad_fixture("fixture-duplicate-id"), dir.path() / "z-duplicate.so");
  PluginRegistry registry;
  const auto rejections = registry.add_directory(dir.path());
  REQUIRE(rejections.size() == 1);
  const auto folder = std::filesystem::canonical(dir.path());
  CHECK(rejections[0].message == "cannot load plugin '" + (folder / "z-duplicate.so").string() +
                                     "': duplicate id 'fixture-good', already provided by '" +
                                     (folder / "fixture-good.so").string() + "'");
  CHECK(rejections[0].duplicate_id);
  CHECK(registry.find("fixture-good")->path().filename() == "fixture-good.so");
}

TEST_CASE("adding the same file twice is a no-op", "[registry]") {
  PluginRegistry registry;
  const auto first = registry.add_file(good_fixture("fixture-good"));
  const auto again = registry.add_file(good_fixture("fixture-good"));
  const auto detour = registry.add_file(attnlab::test::good_fixture_dir() / ".." / "good" / "fixture-good.so");
  CHECK(again == first);
  CHECK(detour == first);
  CHECK(registry.plugins().size() == 1);
}

TEST_CASE("lookups by id and kind", "[registry]") {
  PluginRegistry registry;
  CHECK(registry.add_directory(attnlab::test::builtin_dir()).empty());
  registry.add_file(good_fixture("fixture-data-model"));

  CHECK(registry.get("softmax1", PluginKind::Activation)->id() == "softmax1");
  CHECK(registry.find("nope") == nullptr);
  const auto activations = registry.ids(PluginKind::Activation);
  CHECK(activations == std::vector<std::string>{"bayes-softmax", "softmax", "softmax1"});

  SECTION("an unknown id lists the ids of that kind") {
    CHECK_THAT(thrown_message<UsageError>([&] { registry.get("nope", PluginKind::Activation); }),
               Contains("unknown activation plugin 'nope'") && Contains("available: bayes-softmax, softmax, softmax1"));
  }
  SECTION("a data-model id asked for as an activation is refused") {
    CHECK_THAT(thrown_message<UsageError>([&] { registry.get("fixture-data-model", PluginKind::Activation); }),
               Contains("unknown activation plugin 'fixture-data-model'") && Contains("is a data-model") &&
                   Contains("available: bayes-softmax, softmax, softmax1"));
  }
  SECTION("a data-model file asked for as an activation is refused") {
    CHECK_THAT(thrown_message<UsageError>(
                   [&] { registry.resolve(good_fixture("fixture-data-model").string(), PluginKind::Activation); }),
               Contains("fixture-data-model.so") && Contains("is a data-model, not an activation"));
  }
  SECTION("resolve takes an id or a path") {
    CHECK(registry.resolve("softmax", PluginKind::Activation)->id() == "softmax");
    CHECK(registry.resolve(good_fixture("fixture-good").string(), PluginKind::Activation)->id() == "fixture-good");
    CHECK(registry.find("fixture-good") != nullptr);
  }
}

TEST_CASE("lookups of any kind, for check-plugin", "[registry]") {
  PluginRegistry registry;
  CHECK(registry.add_directory(attnlab::test::builtin_dir()).empty());
  CHECK(registry.get("single-location")->kind() == PluginKind::DataModel);
  CHECK(registry.resolve("sgd-sphere")->kind() == PluginKind::Optimizer);
  CHECK(registry.resolve("softmax")->kind() == PluginKind::Activation);
  const auto file = registry.resolve(good_fixture("fixture-data-model").string());
  CHECK(file->id() == "fixture-data-model");
  CHECK(registry.find("fixture-data-model") == file);
  CHECK_THAT(thrown_message<UsageError>([&] { registry.resolve("nope"); }),
             Contains("unknown plugin 'nope'; available: activation: bayes-softmax, softmax") &&
                 Contains("; data-model: fixture-data-model, single-location; optimizer: adam, sgd, sgd-sphere"));
  CHECK_THAT(thrown_message<UsageError>([&] { PluginRegistry().get("nope"); }),
             Contains("unknown plugin 'nope'; available: none"));
}

TEST_CASE("search paths split on ':' and drop empty entries", "[discovery]") {
  const auto entries = attnlab::split_search_path("a::/b/c:");
  CHECK(entries == std::vector<std::filesystem::path>{"a", "/b/c"});
  CHECK(attnlab::split_search_path("").empty());
}

TEST_CASE("discovery: built-ins, search path entries (folders or files), explicit files", "[discovery]") {
  attnlab::DiscoveryOptions options;
  options.builtin_directory = attnlab::test::builtin_dir();
  options.search_path = {attnlab::test::good_fixture_dir(), bad_fixture("fixture-wrong-backward"),
                         bad_fixture("fixture-abi-major"), "/no/such/plugin/folder"};
  options.explicit_files = {bad_fixture("fixture-unnormalized")};
  PluginRegistry registry;
  const auto rejections = attnlab::discover_plugins(registry, options);

  for (const char* id :
       {"softmax", "adam", "fixture-good", "fixture-optimizer", "fixture-wrong-backward", "fixture-unnormalized"}) {
    CHECK(registry.find(id) != nullptr);
  }
  REQUIRE(rejections.size() == 2);
  CHECK_THAT(rejections[0].message, Contains("fixture-abi-major.so") && Contains("incompatible"));
  CHECK_FALSE(rejections[0].duplicate_id);
  CHECK_THAT(rejections[1].message, Contains("ATTNLAB_PLUGIN_PATH entry '/no/such/plugin/folder' does not exist"));
}

TEST_CASE("discovery: a search path file whose id is taken is a duplicate_id rejection", "[discovery]") {
  attnlab::DiscoveryOptions options;
  options.search_path = {good_fixture("fixture-good"), bad_fixture("fixture-duplicate-id")};
  PluginRegistry registry;
  const auto rejections = attnlab::discover_plugins(registry, options);
  REQUIRE(rejections.size() == 1);
  CHECK(rejections[0].duplicate_id);
  CHECK_THAT(rejections[0].message, Contains("fixture-duplicate-id.so': duplicate id 'fixture-good'") &&
                                        Contains("already provided by") && Contains("good/fixture-good.so"));
}

TEST_CASE("discovery: symbolic links that lead nowhere are named as such", "[discovery]") {
  TempDir dir;
  std::filesystem::create_symlink("loop.so", dir.path() / "loop.so");
  std::filesystem::create_symlink("missing.so", dir.path() / "dangling.so");
  const auto loop_entry = dir.path() / "entry-loop";
  std::filesystem::create_symlink("entry-loop", loop_entry);
  attnlab::DiscoveryOptions options;
  options.search_path = {dir.path(), loop_entry};
  PluginRegistry registry;
  const auto rejections = attnlab::discover_plugins(registry, options);

  // The folder's files in name order (dangling.so, loop.so), then the entry.
  REQUIRE(rejections.size() == 3);
  CHECK(rejections[0].message ==
        "cannot load plugin '" + (dir.path() / "dangling.so").string() + "': dangling symbolic link to 'missing.so'");
  CHECK(rejections[1].message == "cannot load plugin '" + (dir.path() / "loop.so").string() +
                                     "': symbolic link loop (Too many levels of symbolic links)");
  CHECK(rejections[2].message == "ATTNLAB_PLUGIN_PATH entry '" + loop_entry.string() +
                                     "': symbolic link loop (Too many levels of symbolic links)");
}

TEST_CASE("discovery: a missing built-in folder is reported, a bad explicit file throws", "[discovery]") {
  attnlab::DiscoveryOptions options;
  options.builtin_directory = attnlab::test::bad_fixture_dir() / "no-builtins-here";
  PluginRegistry registry;
  const auto rejections = attnlab::discover_plugins(registry, options);
  REQUIRE(rejections.size() == 1);
  CHECK_THAT(rejections[0].message,
             Contains("built-in plugin folder") && Contains("no-builtins-here") && Contains("is missing"));

  options.explicit_files = {bad_fixture("fixture-empty-id")};
  PluginRegistry other;
  CHECK_THAT(thrown_message<PluginLoadError>([&] { attnlab::discover_plugins(other, options); }),
             Contains("fixture-empty-id.so") && Contains("empty id"));
}
