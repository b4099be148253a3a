// Comparison configs: defaults, files, overrides, and the exact errors for
// bad input.
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/training/compare_config.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

using attnlab::load_compare_config;
using Catch::Matchers::Contains;

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path.string();
}

}  // namespace

TEST_CASE("the built-in default compares the three paper activations", "[config]") {
  const auto config = load_compare_config(std::nullopt, {});
  CHECK(config.activations == std::vector<std::string>{"softmax", "softmax1", "bayes-softmax"});
  CHECK(config.data_plugin == "single-location");
  CHECK_THAT(config.data_params, Contains("D = 100") && Contains("std = [2, 1.4, 0.8]"));
  CHECK(config.heads >= 4);  // at least one more head than the 3 features
  CHECK(config.optimizer == "sgd");
  CHECK_THAT(config.optimizer_params, Contains("eta = "));
}

TEST_CASE("overrides given with --set are typed as TOML or as plain strings", "[config]") {
  const auto config = load_compare_config(
      std::nullopt, {"data.D=256", "train.optimizer=adam", "activations=[\"softmax\"]", "model.bias=false"});
  CHECK_THAT(config.data_params, Contains("D = 256"));
  CHECK(config.optimizer == "adam");
  CHECK(config.activations == std::vector<std::string>{"softmax"});
  CHECK_FALSE(config.trainable_bias);
}

TEST_CASE("a config file is merged over the defaults", "[config]") {
  const auto path = write_temp("attnlab_config_merge.toml", "seed = 7\n[model]\nheads = 6\n");
  const auto config = load_compare_config(path, {});
  CHECK(config.seed == 7);
  CHECK(config.heads == 6);
  CHECK(config.batch == load_compare_config(std::nullopt, {}).batch);
}

TEST_CASE("a [data] table in a file replaces the default's whole", "[config]") {
  const auto path =
      write_temp("attnlab_config_data.toml",
                 "[data]\nplugin = \"single-location\"\nprior = \"discrete\"\nsupport = [[1.0], [-1.0]]\n");
  const auto config = load_compare_config(path, {"data.D=30"});
  CHECK_THAT(config.data_params, Contains("prior = \"discrete\"") && Contains("D = 30"));
  CHECK_THAT(config.data_params, !Contains("mean") && !Contains("std"));
}

TEST_CASE("another data model does not inherit the default's parameters; another optimizer keeps the step, saying so",
          "[config]") {
  const auto defaults = load_compare_config(std::nullopt, {});
  REQUIRE_THAT(defaults.optimizer_params, Contains("lr_scale"));
  REQUIRE_THAT(defaults.data_params, Contains("mean"));

  // Named with --set: only the parameters given along with it are passed.
  const auto other =
      load_compare_config(std::nullopt, {"data.plugin=multi-location", "data.K=2", "train.optimizer=momentum"});
  CHECK(other.data_plugin == "multi-location");
  CHECK(other.data_params == "K = 2\n");
  CHECK(other.optimizer == "momentum");
  // Dropping the default's step would change it without a word: it is kept,
  // in the resolved config too, and the user is told.
  CHECK(other.optimizer_params == defaults.optimizer_params);
  CHECK_THAT(other.resolved_toml, Contains("[train.optimizer_params]") && Contains("eta = 0.1"));
  REQUIRE(other.notes.size() == 1);
  CHECK(other.notes[0] ==
        "train.optimizer = 'momentum' keeps the default's step (eta = 0.1, lr_scale = \"none\"); set "
        "train.optimizer_params.<key> to change it");
  CHECK(defaults.notes.empty());

  // An optimizer that does not take lr_scale keeps eta only, and says so.
  const auto takes_only_eta = [](const std::string& id, const std::string& params) {
    CHECK(id == "momentum");
    return params.rfind("eta = ", 0) == 0;
  };
  const auto partial = load_compare_config(std::nullopt, {"train.optimizer=momentum"}, takes_only_eta);
  CHECK(partial.optimizer_params == "eta = 0.1\n");
  CHECK_THAT(partial.resolved_toml, !Contains("lr_scale"));
  REQUIRE(partial.notes.size() == 1);
  CHECK(partial.notes[0] ==
        "train.optimizer = 'momentum' keeps the default's step (eta = 0.1) and drops the default's lr_scale, which it "
        "does not take; set train.optimizer_params.<key> to change it");
  // What --set gives is not the default's to keep or drop.
  const auto given =
      load_compare_config(std::nullopt, {"train.optimizer=momentum", "train.optimizer_params.eta=0.3"}, takes_only_eta);
  CHECK(given.optimizer_params == "eta = 0.3\n");

  // The default plugins keep the default parameters, with overrides on top.
  const auto same = load_compare_config(std::nullopt, {"train.optimizer=sgd", "train.optimizer_params.eta=0.2"});
  CHECK_THAT(same.optimizer_params, Contains("lr_scale") && Contains("eta = 0.2"));

  // A file's own optimizer parameters are kept whatever the optimizer.
  const auto path = write_temp("attnlab_config_optimizer.toml",
                               "[train]\noptimizer = \"adam\"\n[train.optimizer_params]\neta = 0.01\n");
  CHECK(load_compare_config(path, {}).optimizer_params == "eta = 0.01\n");
}

TEST_CASE("the resolved config reloads to the same config", "[config]") {
  const auto config = load_compare_config(std::nullopt, {"data.L=5", "seed=3"});
  const auto again = attnlab::parse_compare_config(config.resolved_toml, "resolved");
  CHECK(again.resolved_toml == config.resolved_toml);
  CHECK(again.seed == 3);
  CHECK(again.data_params == config.data_params);
}

TEST_CASE("bad configs are rejected with the key and value named", "[config]") {
  SECTION("malformed TOML names file, line and column") {
    const auto path = write_temp("attnlab_config_bad.toml", "seed = 1\n[model\nheads = 2\n");
    CHECK_THROWS_WITH(load_compare_config(path, {}),
                      Contains("attnlab_config_bad.toml:2:") && Contains("malformed TOML"));
  }
  SECTION("missing file") {
    CHECK_THROWS_WITH(load_compare_config(std::string("/nonexistent/x.toml"), {}),
                      Contains("cannot read config file '/nonexistent/x.toml'"));
  }
  SECTION("unknown keys, top level and in a section") {
    CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"train.bathc=3"}),
                      Contains("unknown config key 'train.bathc'") && Contains("batch"));
    CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"sed=3"}), Contains("unknown config key 'sed'"));
  }
  SECTION("out-of-range values") {
    CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"model.heads=0"}),
                      Contains("config key 'model.heads' = 0 is out of range [1, 4096]"));
    CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"train.time=-1"}),
                      Contains("config key 'train.time' = -1 is out of range"));
    CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"train.batch=0"}),
                      Contains("config key 'train.batch' = 0 is out of range"));
  }
  SECTION("wrong types") {
    CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"model.heads=four"}),
                      Contains("config key 'model.heads' must be an integer"));
    CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"activations=[]"}),
                      Contains("config key 'activations' must be a non-empty list"));
    CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"activations=[\"softmax\", \"softmax\"]"}),
                      Contains("lists 'softmax' twice"));
  }
  SECTION("malformed --set") {
    CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"heads"}), Contains("--set 'heads' must look like"));
  }
  SECTION("activation parameters for an activation not compared") {
    CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"activation_params.erf.c=1"}),
                      Contains("'activation_params.erf' is for an activation not in 'activations'"));
  }
}

TEST_CASE("the [theory] table: defaults, overrides, and its keys named when out of range", "[config][theory]") {
  const auto defaults = load_compare_config(std::nullopt, {});
  CHECK(defaults.theory.samples == 4096);
  CHECK(defaults.theory.draws == 3);
  CHECK(defaults.theory.tolerance == 1e-4);
  CHECK(defaults.theory.risk_samples == 65536);
  CHECK(defaults.theory.integrator == "rosenbrock");
  CHECK_FALSE(defaults.theory.dimension.has_value());
  CHECK_FALSE(defaults.theory.seed.has_value());
  CHECK_THAT(defaults.resolved_toml, Contains("[theory]"));

  const auto set = load_compare_config(std::nullopt, {"theory.D=5000", "theory.seed=7", "theory.integrator=rk45",
                                                      "theory.samples=2", "theory.tolerance=1e-6"});
  CHECK(set.theory.dimension == std::optional<std::uint32_t>(5000));
  CHECK(set.theory.seed == std::optional<std::uint64_t>(7));
  CHECK(set.theory.integrator == "rk45");
  CHECK(set.theory.samples == 2);
  CHECK(set.theory.tolerance == 1e-6);
  CHECK(set.seed == defaults.seed);  // theory.seed is the limit's own, not the config's
  // The resolved config keeps them.
  const auto again = attnlab::parse_compare_config(set.resolved_toml, "resolved");
  CHECK(again.theory.dimension == set.theory.dimension);
  CHECK(again.theory.seed == set.theory.seed);
  CHECK(again.theory.integrator == "rk45");

  CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"theory.samples=1"}),
                    Contains("config key 'theory.samples' = 1 is out of range"));
  CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"theory.draws=0"}),
                    Contains("config key 'theory.draws' = 0 is out of range"));
  CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"theory.integrator=\"euler\""}),
                    Contains("config key 'theory.integrator' = \"euler\" is not one of: rosenbrock, rk45"));
  CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"theory.tolerance=0"}),
                    Contains("config key 'theory.tolerance' = 0 is out of range"));
  CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"theory.risk_samples=1"}),
                    Contains("config key 'theory.risk_samples' = 1 is out of range"));
  CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"theory.D=1"}),
                    Contains("config key 'theory.D' = 1 is out of range"));
  CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"theory.seed=-1"}),
                    Contains("config key 'theory.seed' = -1 is out of range"));
  CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"theory.integrator=3"}),
                    Contains("config key 'theory.integrator' must be a non-empty string"));
  CHECK_THROWS_WITH(load_compare_config(std::nullopt, {"theory.steps=3"}),
                    Contains("unknown config key 'theory.steps'") && Contains("integrator"));
}

TEST_CASE("a config written before [theory] existed reads with the theory defaults", "[config][theory]") {
  const auto defaults = load_compare_config(std::nullopt, {});
  // The resolved default without its [theory] table (up to the next table).
  std::istringstream lines(defaults.resolved_toml);
  std::string old_text;
  bool in_theory = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("[")) in_theory = line == "[theory]";
    if (!in_theory) old_text += line + "\n";
  }
  REQUIRE_THAT(defaults.resolved_toml, Contains("[theory]"));
  REQUIRE_THAT(old_text, !Contains("theory") && !Contains("risk_samples") && Contains("[train]"));
  const auto old = attnlab::parse_compare_config(old_text, "old config.toml");
  CHECK(old.theory.samples == 4096);
  CHECK(old.theory.draws == 3);
  CHECK(old.theory.tolerance == 1e-4);
  CHECK(old.theory.risk_samples == 65536);
  CHECK(old.theory.integrator == "rosenbrock");
  CHECK_FALSE(old.theory.dimension.has_value());
  CHECK_FALSE(old.theory.seed.has_value());
  CHECK(old.activations == defaults.activations);
  CHECK(old.data_params == defaults.data_params);
}

TEST_CASE("config_differences ignores [theory] settings but not the rest", "[config][theory]") {
  const auto base = load_compare_config(std::nullopt, {});
  const auto theory = load_compare_config(std::nullopt, {"theory.samples=8192", "theory.draws=5", "theory.D=5000",
                                                         "theory.seed=9", "theory.integrator=rk45"});
  CHECK(attnlab::config_differences(base.resolved_toml, theory.resolved_toml).empty());
  CHECK(attnlab::config_differences(theory.resolved_toml, base.resolved_toml).empty());

  const auto seeded = load_compare_config(std::nullopt, {"theory.samples=8192", "seed=2"});
  CHECK(attnlab::config_differences(base.resolved_toml, seeded.resolved_toml) ==
        std::vector<std::string>{"seed = 1 vs 2"});
}
