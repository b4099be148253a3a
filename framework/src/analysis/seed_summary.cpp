#include <attnlab/framework/analysis/seed_summary.hpp>
#include <attnlab/framework/common/errors.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

namespace attnlab {
namespace {

struct SummaryLine {
  std::string activation;
  double test_mse = 0.0;
  double bayes_risk = 0.0;
  bool stopped = false;
};

// The leading columns of a summary.csv row: activation, test_mse, bayes_risk,
// bayes_risk_se, excess_risk, status (the quoted reason comes last and may
// hold commas, so it is not split).
std::vector<SummaryLine> parse_summary(const std::string& csv, const std::string& source) {
  std::istringstream in(csv);
  std::string line;
  if (!std::getline(in, line) || line.rfind("activation,", 0) != 0) {
    throw UsageError(source + ": not a comparison summary (no 'activation,...' header)");
  }
  std::vector<SummaryLine> lines;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::istringstream row(line);
    for (std::string cell; cells.size() < 6 && std::getline(row, cell, ',');) cells.push_back(cell);
    if (cells.size() < 6) throw UsageError(source + ": malformed summary row '" + line + "'");
    const auto number = [&](const std::string& text) {
      try {
        return text == "nan" ? std::nan("") : std::stod(text);
      } catch (const std::exception&) {
        throw UsageError(source + ": '" + text + "' is not a number in row '" + line + "'");
      }
    };
    lines.push_back({cells[0], number(cells[1]), number(cells[2]), cells[5] != "ok"});
  }
  return lines;
}

std::string cell(const MeanAndError& value) {
  if (value.count == 0) return "nan";
  return value.count == 1 ? fmt::format("{:.4f}", value.mean)
                          : fmt::format("{:.4f} ± {:.4f}", value.mean, value.standard_error);
}

}  // namespace

SeedSummary summarize_seeds(const std::vector<std::string>& summary_csvs, const std::vector<std::string>& sources) {
  SeedSummary summary;
  summary.seeds = summary_csvs.size();
  std::vector<std::string> order;
  std::map<std::string, std::vector<double>> errors, excesses;
  std::map<std::string, std::size_t> stopped;
  std::vector<double> bayes;
  for (std::size_t i = 0; i < summary_csvs.size(); ++i) {
    const auto lines = parse_summary(summary_csvs[i], i < sources.size() ? sources[i] : "summary");
    if (!lines.empty()) bayes.push_back(lines.front().bayes_risk);
    for (const SummaryLine& line : lines) {
      if (std::find(order.begin(), order.end(), line.activation) == order.end()) order.push_back(line.activation);
      if (line.stopped) {
        ++stopped[line.activation];
        continue;
      }
      errors[line.activation].push_back(line.test_mse);
      excesses[line.activation].push_back(line.test_mse - line.bayes_risk);
    }
  }
  summary.bayes_risk = mean_and_error(bayes);
  for (const std::string& id : order) {
    summary.rows.push_back({id, mean_and_error(errors[id]), mean_and_error(excesses[id]), stopped[id]});
  }
  return summary;
}

std::string seed_summary_table(const SeedSummary& summary) {
  std::size_t id_width = std::string_view("activation").size();
  for (const auto& row : summary.rows) id_width = std::max(id_width, row.activation.size());
  std::string table =
      fmt::format("{:<{}}  {:>17}  {:>17}  {}\n", "activation", id_width, "test MSE", "excess", "finished seeds");
  for (const auto& row : summary.rows) {
    table += fmt::format("{:<{}}  {:>17}  {:>17}  {} of {}\n", row.activation, id_width, cell(row.test_mse),
                         cell(row.excess), summary.seeds - row.stopped, summary.seeds);
  }
  table +=
      fmt::format("Bayes risk {} (mean ± standard error over {} seeds)\n", cell(summary.bayes_risk), summary.seeds);
  return table;
}

std::string seed_summary_csv(const SeedSummary& summary) {
  std::string csv = "activation,seeds,finished,test_mse_mean,test_mse_se,excess_mean,excess_se,bayes_risk_mean\n";
  for (const auto& row : summary.rows) {
    csv += fmt::format("{},{},{},{:.10g},{:.3g},{:.10g},{:.3g},{:.10g}\n", row.activation, summary.seeds,
                       summary.seeds - row.stopped, row.test_mse.mean, row.test_mse.standard_error, row.excess.mean,
                       row.excess.standard_error, summary.bayes_risk.mean);
  }
  return csv;
}

}  // namespace attnlab
