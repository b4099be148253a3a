#include <attnlab/framework/results/comparison_report.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>
#include <string_view>

namespace attnlab {
namespace {

using Json = nlohmann::ordered_json;

Json matrix_json(const RowMatrix& m) {
  Json rows = Json::array();
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    Json row = Json::array();
    for (Eigen::Index c = 0; c < m.cols(); ++c) row.push_back(m(r, c));
    rows.push_back(std::move(row));
  }
  return rows;
}

Json vector_json(const Eigen::VectorXd& v) {
  Json out = Json::array();
  for (Eigen::Index i = 0; i < v.size(); ++i) out.push_back(v[i]);
  return out;
}

// JSON has no NaN: missing measurements are written as null.
Json number_or_null(double value) {
  return std::isfinite(value) ? Json(value) : Json(nullptr);
}

std::vector<Json> parse_lines(const std::string& jsonl) {
  std::vector<Json> records;
  std::istringstream in(jsonl);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) records.push_back(Json::parse(line));
  }
  return records;
}

std::string format_value(double value) {
  // Fixed decimals keep the table's columns comparable at a glance; a
  // diverged model's huge error switches to scientific so it fits its column.
  if (!std::isfinite(value)) return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
  return std::abs(value) < 1e5 ? fmt::format("{:.4f}", value) : fmt::format("{:.3e}", value);
}

}  // namespace

std::string metrics_lines(const LogPoint& point, const std::optional<BayesRiskEstimate>& bayes_risk) {
  std::string text;
  for (const ModelLog& model : point.models) {
    Json record;
    record["activation"] = model.activation;
    record["step"] = point.step;
    record["t"] = point.time;
    record["stopped"] = model.status.stopped;
    if (model.status.stopped) {
      record["stopped_step"] = model.status.stopped_step;
      record["reason"] = model.status.reason;
    }
    record["train_mse"] = number_or_null(model.train_mse);
    if (model.evaluation) {
      const Evaluation& e = *model.evaluation;
      record["test_mse"] = number_or_null(e.test_mse);
      if (model.test_mse_band) record["test_mse_band"] = number_or_null(*model.test_mse_band);
      if (bayes_risk) record["excess_risk"] = number_or_null(e.test_mse - bayes_risk->mean);
      record["key_overlaps"] = matrix_json(e.key_overlaps);
      record["value_overlaps"] = vector_json(e.value_overlaps);
      if (e.key_gram.size() > 0) {
        record["key_gram"] = matrix_json(e.key_gram);
        record["value_gram"] = matrix_json(e.value_gram);
      }
      record["usage"] = vector_json(e.usage);
      record["biases"] = vector_json(e.biases);
      if (!e.activation_parameters.empty()) record["activation_parameters"] = e.activation_parameters;
    }
    text += record.dump() + "\n";
  }
  return text;
}

std::vector<FinalResult> final_results(const std::string& metrics_jsonl) {
  std::vector<FinalResult> results;
  std::map<std::string, std::size_t> index;
  for (const Json& record : parse_lines(metrics_jsonl)) {
    const auto name = record["activation"].get<std::string>();
    if (index.count(name) == 0) {
      index[name] = results.size();
      results.push_back({name, std::numeric_limits<double>::quiet_NaN(), 0.0, false, 0, ""});
    }
    FinalResult& result = results[index[name]];
    if (record.contains("test_mse") && record["test_mse"].is_number()) {
      result.test_mse = record["test_mse"].get<double>();
      result.time = record["t"].get<double>();
    }
    result.stopped = record["stopped"].get<bool>();
    if (result.stopped) {
      result.stopped_step = record["stopped_step"].get<std::uint64_t>();
      result.reason = record["reason"].get<std::string>();
    }
  }
  return results;
}

std::string summary_csv(const std::vector<FinalResult>& results, const std::vector<ModelStatus>& statuses,
                        const std::optional<BayesRiskEstimate>& bayes_risk) {
  std::string csv =
      "activation,final_test_mse,bayes_risk,bayes_risk_stderr,excess_risk,status,stopped_step,"
      "wall_seconds,bayes_test_mse,test_set_excess,reason\n";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const FinalResult& r = results[i];
    const double bayes = bayes_risk ? bayes_risk->mean : std::nan("");
    const double stderr_ = bayes_risk ? bayes_risk->standard_error : std::nan("");
    const double bayes_test = bayes_risk ? bayes_risk->test_set_error : std::nan("");
    std::string reason = r.reason;
    for (char& c : reason) {
      if (c == '"') c = '\'';
    }
    csv +=
        fmt::format("{},{:.10g},{:.10g},{:.3g},{:.10g},{},{},{:.3f},{:.10g},{:.10g},\"{}\"\n", r.activation, r.test_mse,
                    bayes, stderr_, r.test_mse - bayes, r.stopped ? "stopped" : "ok", r.stopped ? r.stopped_step : 0,
                    i < statuses.size() ? statuses[i].wall_seconds : 0.0, bayes_test, r.test_mse - bayes_test, reason);
  }
  return csv;
}

std::string summary_table(const std::vector<FinalResult>& results, const std::vector<ModelStatus>& statuses,
                          const std::optional<BayesRiskEstimate>& bayes_risk) {
  std::size_t id_width = std::string_view("activation").size();
  for (const FinalResult& r : results) id_width = std::max(id_width, r.activation.size());
  // "vs Bayes": the test MSE minus the Bayes predictor's on the same test
  // set, free of the test set's own sampling error.
  const double bayes_test = bayes_risk ? bayes_risk->test_set_error : std::nan("");
  const bool with_test_set = std::isfinite(bayes_test);
  std::string table =
      fmt::format("{:<{}} {:>10} {:>10} {:>10}{} {:>9}  {}\n", "activation", id_width, "test MSE", "Bayes risk",
                  "excess", with_test_set ? fmt::format(" {:>10}", "vs Bayes") : "", "time (s)", "status");
  bool any_earlier = false;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const FinalResult& r = results[i];
    const double bayes = bayes_risk ? bayes_risk->mean : std::nan("");
    const std::string status =
        r.stopped ? fmt::format("stopped at step {} ({})", r.stopped_step, r.reason) : std::string("ok");
    // A stopped model's test MSE is the one of its last log point before it stopped.
    const bool earlier = r.stopped && std::isfinite(r.test_mse);
    any_earlier = any_earlier || earlier;
    table += fmt::format("{:<{}} {:>10} {:>10} {:>10}{} {:>9.1f}  {}\n", r.activation, id_width,
                         format_value(r.test_mse) + (earlier ? "*" : ""), format_value(bayes),
                         format_value(r.test_mse - bayes),
                         with_test_set ? fmt::format(" {:>10}", format_value(r.test_mse - bayes_test)) : "",
                         i < statuses.size() ? statuses[i].wall_seconds : 0.0, status);
  }
  if (any_earlier) table += "* from the model's last log point before it stopped\n";
  if (bayes_risk) {
    table += fmt::format("Bayes risk {:.6g} +- {:.2g} (Monte Carlo, {} samples)\n", bayes_risk->mean,
                         bayes_risk->standard_error, bayes_risk->samples);
    if (with_test_set) {
      table += fmt::format(
          "the Bayes predictor's error on the same test set: {:.6g} ('vs Bayes' is each test MSE minus it)\n",
          bayes_test);
    }
  }
  return table;
}

}  // namespace attnlab
