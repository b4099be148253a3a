// cells.csv round trips, and the share of cells a task of a job array takes.
#include "test_support.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/sweeps/cell_table.hpp>

#include <catch2/catch.hpp>

#include <set>

TEST_CASE("cells.csv reads back what was written, quoted values included", "[sweeps]") {
  const auto cells = attnlab::expand_sweep(attnlab::parse_sweep_spec(
      "[sweep]\nseeds = 2\n\"data.mean\" = [[1.5, 0.0, 0.0], [0.0, 0.0, 0.0]]\n\"train.optimizer\" = [\"sgd\"]\n",
      "spec.toml", "."));
  const auto table = attnlab::cell_table(cells, {"data.mean", "train.optimizer"});
  const std::string csv = attnlab::cell_table_csv(table);
  CHECK(csv.find("\"[1.5, 0.0, 0.0]\",sgd,") != std::string::npos);
  const auto back = attnlab::read_cell_table(csv, "cells.csv");
  CHECK(back.keys == table.keys);
  REQUIRE(back.cells.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(back.cells[i].hash == table.cells[i].hash);
    CHECK(back.cells[i].values == table.cells[i].values);
    CHECK(back.cells[i].seed == table.cells[i].seed);
  }
  CHECK_THROWS_AS(attnlab::read_cell_table("cell,seed\nxyz!,1\n", "cells.csv"), attnlab::UsageError);
}

TEST_CASE("every cell falls to exactly one task", "[sweeps]") {
  const auto cells = attnlab::expand_sweep(
      attnlab::parse_sweep_spec("[sweep]\nseeds = 7\n\"model.heads\" = [1, 2]\n", "spec.toml", "."));
  const auto table = attnlab::cell_table(cells, {"model.heads"});
  std::multiset<std::string> seen;
  for (std::size_t task = 0; task < 3; ++task) {
    const auto share = attnlab::task_share(table, task, 3);
    CHECK(share.size() >= 4);
    for (const auto& cell : share) seen.insert(cell.hash);
  }
  CHECK(seen.size() == 14);
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 14);
  CHECK_THROWS_AS(attnlab::task_share(table, 3, 3), attnlab::UsageError);
}
