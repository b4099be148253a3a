// load_experiment_run: a comparison trained here, written as compare writes
// its results folder (metrics.jsonl, summary.csv), reads back as the same
// traces, number for number; a stopped model's values are NaN from its stop
// on; a malformed file is named with its line.
#include "test_plugins.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/reproduce/experiment_run.hpp>
#include <attnlab/framework/results/comparison_report.hpp>
#include <attnlab/framework/training/comparison.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;

struct ScratchFolder {
  fs::path path = fs::temp_directory_path() / ("attnlab_experiment_run_test." + std::to_string(::getpid()));
  ScratchFolder() { fs::create_directories(path); }
  ~ScratchFolder() { fs::remove_all(path); }
};

void write(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("a results folder reads back as the traces of the run that wrote it", "[experiment_run]") {
  auto registry = attnlab::test::builtin_registry();
  const attnlab::CompareConfig config = attnlab::compose_compare_config(
      attnlab::default_compare_toml(), "test",
      {"data.D=30", "train.time=40", "eval.log_points=5", "eval.test_size=256", "eval.bayes_samples=2000"});
  attnlab::Comparison comparison(config, registry);
  std::vector<attnlab::LogPoint> points;
  std::string metrics;
  comparison.run([&](const attnlab::LogPoint& point) {
    points.push_back(point);
    metrics += attnlab::metrics_lines(point, comparison.bayes_risk());
  });
  const ScratchFolder scratch;
  write(scratch.path / "metrics.jsonl", metrics);
  write(scratch.path / "summary.csv",
        attnlab::summary_csv(attnlab::final_results(metrics), comparison.statuses(), comparison.bayes_risk()));

  const attnlab::ExperimentRun run = attnlab::load_experiment_run(config, scratch.path);
  REQUIRE(run.models.size() == config.activations.size());
  CHECK(run.results == scratch.path);
  for (std::size_t m = 0; m < run.models.size(); ++m) {
    const attnlab::ModelTrace& trace = run.models[m];
    INFO(trace.activation);
    CHECK(trace.activation == config.activations[m]);
    REQUIRE(trace.test_mse.size() == points.size());
    CHECK_FALSE(trace.stopped);
    for (std::size_t i = 0; i < points.size(); ++i) {
      const attnlab::Evaluation& truth = *points[i].models[m].evaluation;
      // metrics.jsonl keeps every digit: the values are the same doubles.
      CHECK(trace.overlaps.times[i] == points[i].time);
      CHECK(trace.test_mse[i] == truth.test_mse);
      CHECK(trace.overlaps.key_overlaps[i] == truth.key_overlaps);
      CHECK(trace.value_overlaps[i] == truth.value_overlaps);
      CHECK(trace.usage[i] == truth.usage);
    }
  }
  // summary.csv keeps 10 significant digits of the Bayes risk, 3 of its standard error.
  REQUIRE(run.bayes_risk.has_value());
  CHECK(run.bayes_risk->mean == Approx(comparison.bayes_risk()->mean).epsilon(1e-9));
  CHECK(run.bayes_risk->standard_error == Approx(comparison.bayes_risk()->standard_error).epsilon(5e-3));
  CHECK(run.bayes_risk->test_set_error == Approx(comparison.bayes_risk()->test_set_error).epsilon(1e-9));
}

TEST_CASE("a stopped model reads back with NaN values from its stop on, and bad lines are named", "[experiment_run]") {
  const attnlab::CompareConfig config =
      attnlab::compose_compare_config(attnlab::default_compare_toml(), "test", {"activations=[\"softmax\"]"});
  const ScratchFolder scratch;
  write(scratch.path / "metrics.jsonl",
        "{\"activation\":\"softmax\",\"step\":0,\"t\":0.0,\"stopped\":false,\"test_mse\":1.5,"
        "\"key_overlaps\":[[0.1,0.2],[0.3,0.4]],\"value_overlaps\":[0.5,0.6],\"usage\":[1.0,1.0]}\n"
        "{\"activation\":\"softmax\",\"step\":9,\"t\":2.0,\"stopped\":true,\"stopped_step\":7,"
        "\"reason\":\"non-finite loss\"}\n");
  write(scratch.path / "summary.csv",
        "activation,final_test_mse,bayes_risk,bayes_risk_stderr,excess_risk,status,stopped_step,wall_seconds,"
        "bayes_test_mse,test_set_excess,reason\nsoftmax,1.5,nan,nan,nan,stopped,7,0.1,nan,nan,\"non-finite loss\"\n");
  const attnlab::ExperimentRun run = attnlab::load_experiment_run(config, scratch.path);
  const attnlab::ModelTrace& trace = run.model("softmax");
  CHECK(trace.stopped);
  CHECK(trace.reason == "non-finite loss");
  REQUIRE(trace.test_mse.size() == 2);
  CHECK(trace.test_mse[0] == 1.5);
  CHECK(std::isnan(trace.final_mse()));
  REQUIRE(trace.overlaps.key_overlaps[1].rows() == 2);
  REQUIRE(trace.overlaps.key_overlaps[1].cols() == 2);
  CHECK(trace.overlaps.key_overlaps[1].array().isNaN().all());
  CHECK(trace.usage[1].array().isNaN().all());
  CHECK_FALSE(run.bayes_risk.has_value());  // a data model without a Bayes estimate

  write(scratch.path / "metrics.jsonl", "{\"activation\":\"softmax\",\"t\":0.0,\"stopped\":false}\n{oops\n");
  CHECK_THROWS_WITH(attnlab::load_experiment_run(config, scratch.path), Catch::Contains("metrics.jsonl:2"));
  write(scratch.path / "metrics.jsonl", "{\"activation\":\"sigmoid\",\"t\":0.0,\"stopped\":false}\n");
  CHECK_THROWS_WITH(attnlab::load_experiment_run(config, scratch.path),
                    Catch::Contains("'sigmoid' is not in the config"));
}
