// Collecting a sweep folder: tidy rows with list-valued swept keys quoted,
// the final point without wall times, paired differences per grid point,
// and cells without results listed.
#include "test_support.hpp"

#include <attnlab/framework/sweeps/sweep_collect.hpp>
#include <attnlab/framework/sweeps/sweep_folder.hpp>

#include <catch2/catch.hpp>

#include <filesystem>

namespace {

using Catch::Matchers::Contains;

std::string summary_of(double softmax, double softmax1) {
  const std::string head =
      "activation,final_test_mse,bayes_risk,bayes_risk_stderr,excess_risk,status,stopped_step,wall_seconds,"
      "bayes_test_mse,test_set_excess,reason\n";
  const auto row = [](const char* id, double mse) {
    return std::string(id) + "," + std::to_string(mse) + ",0.5,0.01," + std::to_string(mse - 0.5) +
           ",ok,0,1.234,0.49," + std::to_string(mse - 0.49) + ",\"\"\n";
  };
  return head + row("softmax", softmax) + row("softmax1", softmax1);
}

void write_cell(const std::filesystem::path& folder, const std::string& hash, double softmax, double softmax1) {
  const auto run = folder / "cells" / hash / "run";
  std::filesystem::create_directories(run);
  attnlab::test::write_text_file(run / "summary.csv", summary_of(softmax, softmax1));
  attnlab::test::write_text_file(
      run / "metrics.jsonl",
      "{\"activation\":\"softmax\",\"step\":0,\"t\":0.0,\"stopped\":false,\"train_mse\":null,\"test_mse\":1.0}\n"
      "{\"activation\":\"softmax1\",\"step\":0,\"t\":0.0,\"stopped\":false,\"train_mse\":null,\"test_mse\":1.5}\n");
}

}  // namespace

TEST_CASE("a sweep collects into tidy CSVs and paired differences", "[sweeps]") {
  attnlab::test::TempDir dir;
  const attnlab::CellTable table{{"data.mean", "model.heads"},
                                 {{"aaaaaaaaaaa1", {"[1.5, 0.0]", "2"}, 1},
                                  {"aaaaaaaaaaa2", {"[1.5, 0.0]", "2"}, 2},
                                  {"aaaaaaaaaaa3", {"[1.5, 0.0]", "2"}, 3},
                                  {"bbbbbbbbbbb1", {"[3.0, 0.0]", "2"}, 1}}};
  write_cell(dir.path(), "aaaaaaaaaaa1", 0.70, 0.60);
  write_cell(dir.path(), "aaaaaaaaaaa2", 0.80, 0.75);
  std::filesystem::create_directories(dir.path() / "cells" / "aaaaaaaaaaa3");
  attnlab::test::write_text_file(dir.path() / "cells" / "aaaaaaaaaaa3" / attnlab::kCellFailureFile,
                                 "exit status 1\nerror: something named\n");
  const auto collected = attnlab::collect_sweep(table, dir.path());
  CHECK(collected.done == 2);
  CHECK(collected.failed == 1);
  CHECK(collected.unfinished == 1);
  CHECK(collected.metrics_csv ==
        "cell,data.mean,model.heads,seed,activation,step,t,stopped,train_mse,test_mse,excess_risk\n"
        "aaaaaaaaaaa1,\"[1.5, 0.0]\",2,1,softmax,0,0,false,,1,\n"
        "aaaaaaaaaaa1,\"[1.5, 0.0]\",2,1,softmax1,0,0,false,,1.5,\n"
        "aaaaaaaaaaa2,\"[1.5, 0.0]\",2,2,softmax,0,0,false,,1,\n"
        "aaaaaaaaaaa2,\"[1.5, 0.0]\",2,2,softmax1,0,0,false,,1.5,\n");
  CHECK_THAT(collected.final_csv, Contains("aaaaaaaaaaa2,\"[1.5, 0.0]\",2,2,softmax1,0.750000,0.5,0.250000,"));
  CHECK_THAT(collected.final_csv, !Contains("1.234"));  // no wall times: the same sweep, the same file
  // Per-seed differences 0.10 and 0.05: mean 0.075, standard error 0.025.
  CHECK_THAT(collected.summary_md, Contains("| [1.5, 0.0] | 2 | softmax − softmax1 | 2 | +0.075 | 0.025 |"));
  CHECK_THAT(collected.summary_md, Contains("| [1.5, 0.0] | 2 | softmax | 2 of 3 | 0.75 | 0.05 |"));
  CHECK_THAT(collected.summary_md, Contains("`aaaaaaaaaaa3` data.mean=[1.5, 0.0] model.heads=2 seed=3: failed "
                                            "(exit status 1): error: something named"));
  CHECK_THAT(collected.summary_md, Contains("`bbbbbbbbbbb1` data.mean=[3.0, 0.0] model.heads=2 seed=1: missing"));
}
