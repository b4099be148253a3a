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
  double bayes_test_error = 0.0;  // NaN in summaries written before it was recorded
  bool stopped = false;
};

std::vector<std::string> split(const std::string& text, std::size_t at_most) {
  std::vector<std::string> cells;
  std::istringstream row(text);
  for (std::string cell; cells.size() < at_most && std::getline(row, cell, ',');) cells.push_back(cell);
  return cells;
}

// Columns are found by their header names. Every column before the last
// (the quoted reason, which may hold commas) is split; older summaries
// without bayes_test_mse still read.
std::vector<SummaryLine> parse_summary(const std::string& csv, const std::string& source) {
  std::istringstream in(csv);
  std::string line;
  if (!std::getline(in, line) || line.rfind("activation,", 0) != 0) {
    throw UsageError(source + ": not a comparison summary (no 'activation,...' header)");
  }
  const std::vector<std::string> header = split(line, std::string::npos);
  const auto column = [&](const std::string& name, bool required) -> std::size_t {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end() && required) throw UsageError(source + ": no '" + name + "' column");
    return static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t test_mse = column("final_test_mse", true);
  const std::size_t bayes = column("bayes_risk", true);
  const std::size_t status = column("status", true);
  const std::size_t bayes_test = column("bayes_test_mse", false);
  const std::size_t leading = header.size() - 1;
  std::vector<SummaryLine> lines;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const std::vector<std::string> cells = split(line, leading);
    if (cells.size() < leading) throw UsageError(source + ": malformed summary row '" + line + "'");
    const auto number = [&](std::size_t index) {
      if (index >= cells.size()) return std::nan("");
      const std::string& text = cells[index];
      try {
        return text == "nan" ? std::nan("") : std::stod(text);
      } catch (const std::exception&) {
        throw UsageError(source + ": '" + text + "' is not a number in row '" + line + "'");
      }
    };
    lines.push_back({cells[0], number(test_mse), number(bayes), number(bayes_test), cells[status] != "ok"});
  }
  return lines;
}

std::string cell(const MeanAndError& value) {
  if (value.count == 0) return "nan";
  return value.count == 1 ? fmt::format("{:.4f}", value.mean)
                          : fmt::format("{:.4f} ± {:.4f}", value.mean, value.standard_error);
}

std::string signed_cell(const MeanAndError& value) {
  if (value.count == 0) return "nan";
  return value.count == 1 ? fmt::format("{:+.4f}", value.mean)
                          : fmt::format("{:+.4f} ± {:.4f}", value.mean, value.standard_error);
}

}  // namespace

SeedSummary summarize_seeds(const std::vector<std::string>& summary_csvs, const std::vector<std::string>& sources) {
  SeedSummary summary;
  summary.seeds = summary_csvs.size();
  std::vector<std::string> order;
  // Per activation, one entry per seed (NaN where it stopped), so that
  // differences pair the same seed's values.
  std::map<std::string, std::vector<double>> errors, excesses, test_set_excesses;
  std::map<std::string, std::size_t> stopped;
  std::vector<double> bayes, bayes_test;
  for (std::size_t i = 0; i < summary_csvs.size(); ++i) {
    const auto lines = parse_summary(summary_csvs[i], i < sources.size() ? sources[i] : "summary");
    if (!lines.empty()) {
      bayes.push_back(lines.front().bayes_risk);
      bayes_test.push_back(lines.front().bayes_test_error);
    }
    for (const SummaryLine& line : lines) {
      if (std::find(order.begin(), order.end(), line.activation) == order.end()) order.push_back(line.activation);
      for (auto* values : {&errors, &excesses, &test_set_excesses}) (*values)[line.activation].resize(i, std::nan(""));
      if (line.stopped) {
        ++stopped[line.activation];
        for (auto* values : {&errors, &excesses, &test_set_excesses})
          (*values)[line.activation].push_back(std::nan(""));
        continue;
      }
      errors[line.activation].push_back(line.test_mse);
      excesses[line.activation].push_back(line.test_mse - line.bayes_risk);
      test_set_excesses[line.activation].push_back(line.test_mse - line.bayes_test_error);
    }
  }
  summary.bayes_risk = mean_and_error(bayes);
  summary.bayes_test_error = mean_and_error(bayes_test);
  for (const std::string& id : order) {
    summary.rows.push_back({id, mean_and_error(errors[id]), mean_and_error(excesses[id]),
                            mean_and_error(test_set_excesses[id]), stopped[id]});
  }
  for (std::size_t a = 0; a < order.size(); ++a) {
    for (std::size_t b = a + 1; b < order.size(); ++b) {
      summary.paired.push_back({order[a], order[b], paired_difference(errors[order[a]], errors[order[b]])});
    }
  }
  return summary;
}

std::string seed_summary_table(const SeedSummary& summary) {
  std::size_t id_width = std::string_view("activation").size();
  for (const auto& row : summary.rows) id_width = std::max(id_width, row.activation.size());
  const bool with_test_set = summary.bayes_test_error.count > 0;
  std::string table = fmt::format("{:<{}}  {:>17}  {:>17}{}  {}\n", "activation", id_width, "test MSE", "excess",
                                  with_test_set ? fmt::format("  {:>17}", "vs Bayes") : "", "finished seeds");
  for (const auto& row : summary.rows) {
    table += fmt::format("{:<{}}  {:>17}  {:>17}{}  {} of {}\n", row.activation, id_width, cell(row.test_mse),
                         cell(row.excess), with_test_set ? fmt::format("  {:>17}", cell(row.test_set_excess)) : "",
                         summary.seeds - row.stopped, summary.seeds);
  }
  table +=
      fmt::format("Bayes risk {} (mean ± standard error over {} seeds)\n", cell(summary.bayes_risk), summary.seeds);
  if (with_test_set) {
    table += fmt::format(
        "the Bayes predictor on each seed's test set: {}; 'vs Bayes' is the test MSE minus it, seed by seed\n",
        cell(summary.bayes_test_error));
  }
  if (!summary.paired.empty()) {
    std::size_t pair_width = 0;
    for (const auto& pair : summary.paired)
      pair_width = std::max(pair_width, pair.first.size() + pair.second.size() + 3);
    table +=
        "\npaired differences of test MSE: mean ± standard error of the per-seed difference, over the seeds "
        "where both finished\n(each seed trains every activation on the same data from the same initial "
        "parameters, so its own luck cancels):\n";
    for (const auto& pair : summary.paired) {
      table += fmt::format("{:<{}}  {:>17}  {} seeds\n", pair.first + " - " + pair.second, pair_width,
                           signed_cell(pair.difference), pair.difference.count);
    }
  }
  return table;
}

std::string seed_summary_csv(const SeedSummary& summary) {
  std::string csv =
      "activation,seeds,finished,test_mse_mean,test_mse_se,excess_mean,excess_se,bayes_risk_mean,"
      "bayes_test_mse_mean,test_set_excess_mean,test_set_excess_se\n";
  for (const auto& row : summary.rows) {
    csv += fmt::format("{},{},{},{:.10g},{:.3g},{:.10g},{:.3g},{:.10g},{:.10g},{:.10g},{:.3g}\n", row.activation,
                       summary.seeds, summary.seeds - row.stopped, row.test_mse.mean, row.test_mse.standard_error,
                       row.excess.mean, row.excess.standard_error, summary.bayes_risk.mean,
                       summary.bayes_test_error.mean, row.test_set_excess.mean, row.test_set_excess.standard_error);
  }
  return csv;
}

std::string paired_differences_csv(const SeedSummary& summary) {
  std::string csv = "first,second,seeds,difference_mean,difference_se\n";
  for (const auto& pair : summary.paired) {
    csv += fmt::format("{},{},{},{:.10g},{:.3g}\n", pair.first, pair.second, pair.difference.count,
                       pair.difference.mean, pair.difference.standard_error);
  }
  return csv;
}

}  // namespace attnlab
