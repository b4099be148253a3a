// PluginLibrary::load: what is accepted, and that every rejection names the
// file and the reason in one line.
#include "test_support.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/hosting/data_model.hpp>
#include <attnlab/framework/hosting/descriptor_validation.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

using attnlab::PluginKind;
using attnlab::PluginLibrary;
using attnlab::PluginLoadError;
using attnlab::test::bad_fixture;
using attnlab::test::good_fixture;
using attnlab::test::thrown_message;
using Catch::Matchers::Contains;

namespace {

std::string load_error(const std::filesystem::path& path) {
  const std::string message = thrown_message<PluginLoadError>([&] { PluginLibrary::load(path); });
  CHECK(message.find('\n') == std::string::npos);
  return message;
}

std::string abi(unsigned major, unsigned minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

}  // namespace

TEST_CASE("a built-in plugin loads with its descriptor", "[loader]") {
  const auto softmax = attnlab::test::builtin_plugin("softmax");
  CHECK(softmax->id() == "softmax");
  CHECK(softmax->kind() == PluginKind::Activation);
  CHECK(softmax->version() == "1.0.0");
  CHECK(softmax->name() == "Softmax");
  CHECK(softmax->path().is_absolute());
  CHECK(softmax->label() == "plugin 'softmax' (" + softmax->path().string() + ")");
}

TEST_CASE("relative paths and paths with . and .. are made canonical", "[loader]") {
  const auto absolute = std::filesystem::canonical(good_fixture("fixture-good"));
  CHECK(PluginLibrary::load(std::filesystem::relative(absolute))->path() == absolute);
  const auto detour = absolute.parent_path() / "." / ".." / "good" / absolute.filename();
  CHECK(PluginLibrary::load(detour)->path() == absolute);
}

TEST_CASE("valid fixtures of every kind load", "[loader][fixture]") {
  CHECK(PluginLibrary::load(good_fixture("fixture-good"))->kind() == PluginKind::Activation);
  CHECK(PluginLibrary::load(good_fixture("fixture-uniform"))->kind() == PluginKind::Activation);
  CHECK(PluginLibrary::load(good_fixture("fixture-data-model"))->kind() == PluginKind::DataModel);
  CHECK(PluginLibrary::load(good_fixture("fixture-optimizer"))->kind() == PluginKind::Optimizer);
  const auto good = PluginLibrary::load(good_fixture("fixture-good"));
  CHECK(attnlab::describe_capabilities(good->capabilities()) == "analytic-backward,learnable-parameters");
}

TEST_CASE("a missing file is refused", "[loader]") {
  const auto path = attnlab::test::bad_fixture_dir() / "no-such-plugin.so";
  CHECK(load_error(path) == std::string("cannot load plugin '") + path.string() + "': file does not exist");
}

TEST_CASE("a symbolic link loop is refused as a loop, not as a missing file", "[loader]") {
  attnlab::test::TempDir dir;
  const auto self = dir.path() / "loop.so";
  std::filesystem::create_symlink("loop.so", self);
  const auto ping = dir.path() / "ping.so";
  std::filesystem::create_symlink("pong.so", ping);
  std::filesystem::create_symlink("ping.so", dir.path() / "pong.so");
  const std::string loop = "symbolic link loop (Too many levels of symbolic links)";
  CHECK(load_error(self) == "cannot load plugin '" + self.string() + "': " + loop);
  CHECK(load_error(ping) == "cannot load plugin '" + ping.string() + "': " + loop);
}

TEST_CASE("a dangling symbolic link is refused naming its target", "[loader]") {
  attnlab::test::TempDir dir;
  const auto link = dir.path() / "dangling.so";
  std::filesystem::create_symlink("missing.so", link);
  CHECK(load_error(link) == "cannot load plugin '" + link.string() + "': dangling symbolic link to 'missing.so'");
  // A link that works loads the plugin it points at.
  const auto good = dir.path() / "good.so";
  std::filesystem::create_symlink(good_fixture("fixture-good"), good);
  CHECK(PluginLibrary::load(good)->id() == "fixture-good");
}

TEST_CASE("a text file named .so is refused", "[loader]") {
  attnlab::test::TempDir dir;
  const auto path = dir.path() / "notes.so";
  attnlab::test::write_text_file(path, "this is not a shared library\n");
  CHECK_THAT(load_error(path), Contains("notes.so") && Contains("not a loadable shared library"));
}

TEST_CASE("a folder named .so is refused", "[loader]") {
  attnlab::test::TempDir dir;
  const auto path = dir.path() / "folder.so";
  std::filesystem::create_directory(path);
  CHECK_THAT(load_error(path), Contains("folder.so") && Contains("not a regular file"));
}

TEST_CASE("a shared library without the entry point is not a plugin", "[loader][fixture]") {
  CHECK_THAT(
      load_error(bad_fixture("fixture-no-entry")),
      Contains("fixture-no-entry.so") && Contains("not an attnlab plugin (no 'attnlab_plugin_entry' entry point)"));
}

TEST_CASE("a plugin built for another ABI major is refused naming both versions", "[loader][fixture]") {
  CHECK_THAT(
      load_error(bad_fixture("fixture-abi-major")),
      Contains("fixture-abi-major.so") &&
          Contains("plugin ABI " + abi(ATTNLAB_ABI_MAJOR + 1, ATTNLAB_ABI_MINOR) +
                   " is incompatible with this attnlab's plugin ABI " + abi(ATTNLAB_ABI_MAJOR, ATTNLAB_ABI_MINOR)));
}

TEST_CASE("a plugin built for a newer ABI minor is refused naming both versions", "[loader][fixture]") {
  CHECK_THAT(load_error(bad_fixture("fixture-abi-minor")),
             Contains("fixture-abi-minor.so") &&
                 Contains("plugin ABI " + abi(ATTNLAB_ABI_MAJOR, ATTNLAB_ABI_MINOR + 1) +
                          " is newer than this attnlab's plugin ABI " + abi(ATTNLAB_ABI_MAJOR, ATTNLAB_ABI_MINOR)));
}

TEST_CASE("a null function in the table is refused naming the entry", "[loader][fixture]") {
  CHECK_THAT(load_error(bad_fixture("fixture-null-forward")),
             Contains("fixture-null-forward.so") &&
                 Contains("malformed descriptor: activation table entry 'forward' is null"));
}

TEST_CASE("an empty id is refused", "[loader][fixture]") {
  CHECK_THAT(load_error(bad_fixture("fixture-empty-id")),
             Contains("fixture-empty-id.so") && Contains("malformed descriptor: empty id"));
}

TEST_CASE("an optimizer constraint outside the enum is refused", "[loader]") {
  // A descriptor in this process: the loader's checks do not need a file.
  attnlab_optimizer_table table{
      sizeof(attnlab_optimizer_table),
      ATTNLAB_CONSTRAINT_SPHERE,
      +[](const char*, void**, attnlab_error_buffer) { return ATTNLAB_OK; },
      +[](void*) {},
      +[](const void*, const attnlab_parameter_group*, std::uint32_t, std::size_t*, attnlab_error_buffer) {
        return ATTNLAB_OK;
      },
      +[](void*, attnlab_step_info, attnlab_parameter_group*, std::uint32_t, double*, attnlab_error_buffer) {
        return ATTNLAB_OK;
      },
  };
  const attnlab_plugin_descriptor descriptor{ATTNLAB_ABI_MAJOR,
                                             ATTNLAB_ABI_MINOR,
                                             sizeof(attnlab_plugin_descriptor),
                                             ATTNLAB_KIND_OPTIMIZER,
                                             "in-process",
                                             "In-process optimizer",
                                             "0.1.0",
                                             "",
                                             0,
                                             &table};
  CHECK(attnlab::validate_descriptor(&descriptor) == PluginKind::Optimizer);
  table.constraint = 2;
  CHECK_THAT(thrown_message<PluginLoadError>([&] { attnlab::validate_descriptor(&descriptor); }),
             Contains("malformed descriptor: optimizer constraint 2 is not one of 0 (none), 1 (sphere)"));
}

namespace {

// A data-model table of stubs (no instance is ever made from it).
attnlab_data_model_table stub_data_model_table() {
  return {
      sizeof(attnlab_data_model_table),
      0,
      +[](const char*, void**, attnlab_error_buffer) { return ATTNLAB_OK; },
      +[](void*) {},
      +[](const void*, attnlab_data_dims*, attnlab_error_buffer) { return ATTNLAB_OK; },
      +[](const void*, double*, double*, attnlab_error_buffer) { return ATTNLAB_OK; },
      +[](void*, attnlab_random_stream*, std::uint32_t, double*, double*, attnlab_error_buffer) { return ATTNLAB_OK; },
      nullptr,
      nullptr,
      nullptr,
  };
}

attnlab_plugin_descriptor data_model_descriptor(const attnlab_data_model_table& table, std::uint32_t abi_minor,
                                                std::uint64_t capabilities) {
  return {ATTNLAB_ABI_MAJOR,
          abi_minor,
          sizeof(attnlab_plugin_descriptor),
          ATTNLAB_KIND_DATA_MODEL,
          "in-process",
          "In-process data model",
          "0.1.0",
          "",
          capabilities,
          &table};
}

}  // namespace

TEST_CASE("the high-dimensional-limit flag needs the limit_sample entry in a table long enough to hold it",
          "[loader][limit]") {
  attnlab_data_model_table table = stub_data_model_table();
  const auto validate = [&](std::uint32_t abi_minor, std::uint64_t capabilities) {
    const attnlab_plugin_descriptor descriptor = data_model_descriptor(table, abi_minor, capabilities);
    return attnlab::validate_descriptor(&descriptor);
  };
  const auto refusal = [&](std::uint64_t capabilities) {
    return thrown_message<PluginLoadError>([&] { validate(ATTNLAB_ABI_MINOR, capabilities); });
  };
  const std::uint32_t size_1_0 = offsetof(attnlab_data_model_table, limit_sample);

  // Without the flag: a 1.1 table with no entry, and a 1.0 table, are valid.
  CHECK(validate(ATTNLAB_ABI_MINOR, 0) == PluginKind::DataModel);
  table.struct_size = size_1_0;
  CHECK(validate(0, 0) == PluginKind::DataModel);

  // The flag with the entry set but a 1.0-sized table: the host cannot read it.
  table.limit_sample = +[](void*, attnlab_random_stream*, std::uint32_t, double*, double*, double*,
                           attnlab_error_buffer) { return ATTNLAB_OK; };
  CHECK_THAT(refusal(ATTNLAB_CAP_HIGH_DIMENSIONAL_LIMIT),
             Contains("malformed descriptor: data model declares the high-dimensional-limit capability, but its "
                      "table struct_size " +
                      std::to_string(size_1_0) + " ends before 'limit_sample'"));

  // The flag with a full table but a null entry.
  table.struct_size = sizeof(attnlab_data_model_table);
  CHECK(validate(ATTNLAB_ABI_MINOR, ATTNLAB_CAP_HIGH_DIMENSIONAL_LIMIT) == PluginKind::DataModel);
  table.limit_sample = nullptr;
  CHECK(refusal(ATTNLAB_CAP_HIGH_DIMENSIONAL_LIMIT) ==
        "malformed descriptor: data model table entry 'limit_sample' is null");
}

TEST_CASE("a data model built against ABI 1.0 loads in this host and has no limit", "[loader][limit][fixture]") {
  const auto plugin = PluginLibrary::load(good_fixture("fixture-abi-1-0-data-model"));
  CHECK(plugin->kind() == PluginKind::DataModel);
  CHECK(plugin->descriptor().abi_minor == 0);
  CHECK(plugin->table<attnlab_data_model_table>().struct_size == offsetof(attnlab_data_model_table, limit_sample));
  CHECK_FALSE(attnlab::provides_limit(*plugin));

  attnlab::DataModel model(plugin);
  CHECK_FALSE(model.has_limit());
  attnlab::Rng rng(1);
  std::vector<double> tokens(2 * 2 * 4), labels(2), fields(2 * 2 * 2), means(2), variances(2);
  model.sample(rng, 2, tokens, labels);
  CHECK(labels[1] == tokens[2 * 4 + 1]);
  CHECK(thrown_message<attnlab::UsageError>([&] { model.limit_sample(rng, 2, fields, means, variances); }) ==
        "data model 'fixture-abi-1-0-data-model' has no high-dimensional limit: it does not provide limit_sample "
        "(see docs/WRITING_PLUGINS.md)");
}

TEST_CASE("an SDK data model declares the limit exactly when it writes limit_sample", "[loader][limit][fixture]") {
  const auto with = PluginLibrary::load(good_fixture("fixture-limit-data-model"));
  CHECK(attnlab::describe_capabilities(with->capabilities()) == "high-dimensional-limit");
  CHECK(attnlab::provides_limit(*with));
  CHECK(with->descriptor().abi_minor == ATTNLAB_ABI_MINOR);
  const auto without = PluginLibrary::load(good_fixture("fixture-data-model"));
  CHECK(attnlab::describe_capabilities(without->capabilities()) == "-");
  CHECK_FALSE(attnlab::provides_limit(*without));
  CHECK(without->table<attnlab_data_model_table>().struct_size == sizeof(attnlab_data_model_table));
  CHECK(without->table<attnlab_data_model_table>().limit_sample == nullptr);
}

TEST_CASE("plugins that misbehave only at run time load; the checker and wrapper catch them", "[loader][fixture]") {
  for (const char* name :
       {"fixture-duplicate-id", "fixture-throwing-forward", "fixture-throwing-constructor", "fixture-nan-forward",
        "fixture-wrong-backward", "fixture-unnormalized", "fixture-overrun"}) {
    INFO(name);
    CHECK(PluginLibrary::load(bad_fixture(name))->kind() == PluginKind::Activation);
  }
  for (const char* name : {"fixture-unit-key", "fixture-zero-risk", "fixture-label-overrun", "fixture-limit-no-shift",
                           "fixture-limit-wrong-noise", "fixture-limit-negative-noise"}) {
    INFO(name);
    CHECK(PluginLibrary::load(bad_fixture(name))->kind() == PluginKind::DataModel);
  }
  for (const char* name : {"fixture-gradient-ascent", "fixture-false-sphere", "fixture-state-overrun"}) {
    INFO(name);
    CHECK(PluginLibrary::load(bad_fixture(name))->kind() == PluginKind::Optimizer);
  }
}
