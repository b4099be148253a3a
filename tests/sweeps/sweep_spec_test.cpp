// Sweep specs: the grid they expand to (cartesian product, zipped keys,
// seeds), the base config, and one-line errors naming the file and key.
#include "test_support.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/sweeps/cell_hash.hpp>
#include <attnlab/framework/sweeps/sweep_spec.hpp>

#include <catch2/catch.hpp>

#include <set>

namespace {

using attnlab::SweepCell;
using attnlab::UsageError;
using attnlab::test::thrown_message;
using Catch::Matchers::Contains;

std::vector<SweepCell> cells_of(const std::string& text) {
  return attnlab::expand_sweep(attnlab::parse_sweep_spec(text, "spec.toml", "."));
}

std::string error_of(const std::string& text) {
  return thrown_message<UsageError>([&] { cells_of(text); });
}

}  // namespace

TEST_CASE("axes multiply, the first slowest, and seeds give one cell each", "[sweeps]") {
  const auto cells = cells_of(R"(
[base]
seed = 7
[base.train]
batch = 4
[sweep]
"model.heads" = [2, 3]
data.D = [40, 50]
seeds = 2
)");
  REQUIRE(cells.size() == 8);
  // Keys in key order: data.D, then model.heads.
  CHECK(cells[0].keys == std::vector<std::string>{"data.D", "model.heads"});
  std::vector<std::string> seen;
  for (const SweepCell& cell : cells) seen.push_back(attnlab::cell_label(cell));
  CHECK(seen == std::vector<std::string>{"data.D=40 model.heads=2 seed=7", "data.D=40 model.heads=2 seed=8",
                                         "data.D=40 model.heads=3 seed=7", "data.D=40 model.heads=3 seed=8",
                                         "data.D=50 model.heads=2 seed=7", "data.D=50 model.heads=2 seed=8",
                                         "data.D=50 model.heads=3 seed=7", "data.D=50 model.heads=3 seed=8"});
  CHECK(cells[7].config.heads == 3);
  CHECK(cells[7].config.seed == 8);
  CHECK(cells[7].config.batch == 4);  // an inline [base] keeps its sub-tables
  CHECK_THAT(cells[7].config.data_params, Contains("D = 50"));
  std::set<std::string> hashes;
  for (const SweepCell& cell : cells) hashes.insert(cell.hash);
  CHECK(hashes.size() == 8);
}

TEST_CASE("zipped keys move together, as one axis", "[sweeps]") {
  const auto cells = cells_of(R"(
[sweep]
activations = ["softmax", "softmax1"]
"model.heads" = [1, 2]
[[sweep.zip]]
"data.D" = [40, 60]
"train.time" = [10, 20.5]
)");
  REQUIRE(cells.size() == 4);
  CHECK(cells[0].keys == std::vector<std::string>{"model.heads", "data.D", "train.time"});
  CHECK(attnlab::cell_label(cells[1]) == "model.heads=1 data.D=60 train.time=20.5 seed=1");
  CHECK(cells[1].config.time == 20.5);
  CHECK_THAT(cells[1].config.data_params, Contains("D = 60"));
  for (const SweepCell& cell : cells) CHECK(cell.config.activations == std::vector<std::string>{"softmax", "softmax1"});
}

TEST_CASE("the base is a file next to the spec or an inline table", "[sweeps]") {
  attnlab::test::TempDir dir;
  attnlab::test::write_text_file(dir.path() / "base.toml", "seed = 5\n[model]\nheads = 6\n");
  attnlab::test::write_text_file(dir.path() / "spec.toml", "base = \"base.toml\"\n[sweep]\n\"train.batch\" = [4]\n");
  const auto cells = attnlab::expand_sweep(attnlab::read_sweep_spec(dir.path() / "spec.toml"));
  REQUIRE(cells.size() == 1);
  CHECK(cells[0].config.seed == 5);
  CHECK(cells[0].config.heads == 6);
  CHECK(cells[0].config.batch == 4);
  attnlab::test::write_text_file(dir.path() / "spec.toml", "base = \"nowhere.toml\"\n[sweep]\nseeds = 2\n");
  CHECK_THAT(thrown_message<UsageError>([&] { attnlab::read_sweep_spec(dir.path() / "spec.toml"); }),
             Contains("nowhere.toml"));
}

TEST_CASE("a bad spec is refused naming the file and the key", "[sweeps]") {
  CHECK_THAT(error_of("[sweep]\nseeds = 2\n[extra]\n"), Contains("spec.toml") && Contains("unknown key 'extra'"));
  CHECK_THAT(error_of("[base]\nseed = 1\n"), Contains("spec.toml") && Contains("no [sweep] table"));
  CHECK_THAT(error_of("[sweep]\n\"data.D\" = []\n"), Contains("axis 'data.D'") && Contains("non-empty list"));
  CHECK_THAT(error_of("[sweep]\n\"data.D\" = 40\n"), Contains("axis 'data.D'"));
  CHECK_THAT(error_of("[sweep]\n[[sweep.zip]]\n\"data.D\" = [40, 60]\n\"train.time\" = [1]\n"),
             Contains("equal lengths") && Contains("'data.D' has 2") && Contains("'train.time' has 1"));
  CHECK_THAT(error_of("[sweep]\n\"data.D\" = [40]\n[[sweep.zip]]\n\"data.D\" = [50]\n"),
             Contains("'data.D' is swept twice"));
  CHECK_THAT(error_of("[sweep]\nseeds = 0\n"), Contains("sweep.seeds"));
  CHECK_THAT(error_of("[sweep]\nseeds = 2\nseed = [1, 2]\n"), Contains("'seed' is swept"));
  // A key the config does not know: the config's own message, with the cell.
  CHECK_THAT(error_of("[sweep]\n\"model.head\" = [2, 3]\n"),
             Contains("spec.toml") && Contains("cell model.head=2") && Contains("unknown config key 'model.head'"));
  CHECK_THAT(error_of("[sweep]\n\"model.heads\" = [2, 0]\n"),
             Contains("cell model.heads=0") && Contains("model.heads"));
  CHECK_THAT(thrown_message<UsageError>([] { attnlab::parse_sweep_spec("[sweep\n", "broken.toml", "."); }),
             Contains("broken.toml:1") && Contains("malformed TOML"));
}

TEST_CASE("a cell's hash depends on its config's content only", "[sweeps]") {
  const auto a = attnlab::compose_compare_config("seed = 3\n[train]\ntime = 10.0\n", "a", {});
  const auto b = attnlab::compose_compare_config("[train]\ntime = 10.0\nthreads = 1\n", "b", {"seed=3"});
  const auto c = attnlab::compose_compare_config("seed = 4\n[train]\ntime = 10.0\n", "c", {});
  CHECK(attnlab::cell_hash(a) == attnlab::cell_hash(b));  // the thread count does not change results
  CHECK(attnlab::cell_hash(a) != attnlab::cell_hash(c));
  CHECK(attnlab::cell_hash(a).size() == 12);
  // The identity is by value and type: 64 and 64.0 are different configs.
  CHECK(attnlab::cell_identity_text("[data]\nD = 64\n") != attnlab::cell_identity_text("[data]\nD = 64.0\n"));
  CHECK(attnlab::cell_identity_text("a = 0.10\nb = 1\n") == attnlab::cell_identity_text("b = 1\na = 0.1\n"));
  // Stable across builds and versions: existing sweep folders are found
  // again only if the built-in default's hash never moves.
  CHECK(attnlab::cell_hash(attnlab::compose_compare_config("", "default", {})) == "8f60bd6e3262");
}

TEST_CASE("a cell's written config composes back to itself", "[sweeps]") {
  const auto cells = cells_of("[sweep]\n\"data.delta\" = [0.25]\n\"train.optimizer\" = [\"adam\"]\n");
  REQUIRE(cells.size() == 1);
  const auto again = attnlab::compose_compare_config(cells[0].config.resolved_toml, "config.toml", {});
  CHECK(again.resolved_toml == cells[0].config.resolved_toml);
  CHECK(attnlab::cell_hash(again) == cells[0].hash);
}
