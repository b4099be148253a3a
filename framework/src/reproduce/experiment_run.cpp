#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/text_file.hpp>
#include <attnlab/framework/reproduce/experiment_run.hpp>

#include "results/metrics_json.hpp"
#include "sweeps/csv_text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <sstream>

namespace attnlab {
namespace {

using Json = nlohmann::json;
constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

Eigen::VectorXd vector_of(const Json& values) {
  Eigen::VectorXd v(static_cast<Eigen::Index>(values.size()));
  for (Eigen::Index i = 0; i < v.size(); ++i) v[i] = number_or_nan(values[static_cast<std::size_t>(i)]);
  return v;
}

// A record without an evaluation (its model stopped): the shapes of the
// point before, every value missing.
void append_missing(ModelTrace& trace) {
  trace.test_mse.push_back(kMissing);
  const RowMatrix last = trace.overlaps.key_overlaps.empty() ? RowMatrix() : trace.overlaps.key_overlaps.back();
  trace.overlaps.key_overlaps.push_back(RowMatrix::Constant(last.rows(), last.cols(), kMissing));
  const auto missing = [](const std::vector<Eigen::VectorXd>& history) {
    return history.empty() ? Eigen::VectorXd() : Eigen::VectorXd::Constant(history.back().size(), kMissing);
  };
  trace.usage.push_back(missing(trace.usage));
  trace.value_overlaps.push_back(missing(trace.value_overlaps));
}

void append_record(ModelTrace& trace, const Json& record) {
  trace.overlaps.times.push_back(record.at("t").get<double>());
  if (record.contains("key_overlaps")) {
    trace.test_mse.push_back(number_or_nan(record.at("test_mse")));
    trace.overlaps.key_overlaps.push_back(matrix_of(record.at("key_overlaps")));
    trace.usage.push_back(vector_of(record.at("usage")));
    trace.value_overlaps.push_back(vector_of(record.at("value_overlaps")));
  } else {
    append_missing(trace);
  }
  trace.stopped = record.at("stopped").get<bool>();
  if (record.contains("reason")) trace.reason = record.at("reason").get<std::string>();
}

// summary.csv's Bayes columns (the same on every row); none when the data
// model has no Bayes estimator (NaN there).
std::optional<BayesRiskEstimate> bayes_of_summary(const std::filesystem::path& file) {
  std::istringstream lines(read_text_file(file));
  std::string header_line, row_line;
  if (!std::getline(lines, header_line) || !std::getline(lines, row_line)) {
    throw UsageError("'" + file.string() + "' has no rows");
  }
  const std::vector<std::string> header = split_csv_line(header_line), row = split_csv_line(row_line);
  std::map<std::string, double> values;
  for (std::size_t i = 0; i < header.size() && i < row.size(); ++i) {
    try {
      values[header[i]] = std::stod(row[i]);
    } catch (const std::exception&) {
      values[header[i]] = kMissing;  // "nan", text columns
    }
  }
  for (const char* column : {"bayes_risk", "bayes_risk_stderr", "bayes_test_mse"}) {
    if (!values.count(column)) throw UsageError(fmt::format("'{}' has no column {}", file.string(), column));
  }
  if (std::isnan(values["bayes_risk"])) return std::nullopt;
  BayesRiskEstimate estimate;
  estimate.mean = values["bayes_risk"];
  estimate.standard_error = values["bayes_risk_stderr"];
  estimate.test_set_error = values["bayes_test_mse"];
  return estimate;
}

}  // namespace

const ModelTrace& ExperimentRun::model(const std::string& activation) const {
  for (const ModelTrace& trace : models) {
    if (trace.activation == activation) return trace;
  }
  throw UsageError("no model with activation '" + activation + "' in this run");
}

ExperimentRun load_experiment_run(const CompareConfig& config, const std::filesystem::path& results) {
  ExperimentRun run;
  run.config = config;
  run.results = results;
  run.models.resize(config.activations.size());
  for (std::size_t i = 0; i < run.models.size(); ++i) run.models[i].activation = config.activations[i];
  const std::filesystem::path metrics = results / "metrics.jsonl";
  std::istringstream lines(read_text_file(metrics));
  std::size_t line_number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    if (line.empty()) continue;
    try {
      const Json record = Json::parse(line);
      const auto activation = record.at("activation").get<std::string>();
      const auto it = std::find_if(run.models.begin(), run.models.end(),
                                   [&](const ModelTrace& trace) { return trace.activation == activation; });
      if (it == run.models.end()) throw UsageError("activation '" + activation + "' is not in the config");
      append_record(*it, record);
    } catch (const std::exception& error) {
      throw UsageError(fmt::format("{}:{}: {}", metrics.string(), line_number, error.what()));
    }
  }
  run.bayes_risk = bayes_of_summary(results / "summary.csv");
  return run;
}

}  // namespace attnlab
