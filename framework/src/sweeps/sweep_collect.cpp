#include "sweeps/csv_text.hpp"

#include <attnlab/framework/analysis/seed_summary.hpp>
#include <attnlab/framework/common/atomic_files.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/text_file.hpp>
#include <attnlab/framework/sweeps/sweep_collect.hpp>
#include <attnlab/framework/sweeps/sweep_folder.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

namespace attnlab {
namespace fs = std::filesystem;
namespace {

// Shortest text that reads back as the same number; empty (NaN to pandas) for null.
std::string number_field(const nlohmann::json& value) {
  if (value.is_number_integer()) return std::to_string(value.get<long long>());
  if (value.is_number()) return fmt::format("{}", value.get<double>());
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  return "";
}

std::string cell_columns(const PlannedCell& cell) {
  std::string row = cell.hash;
  for (const auto& value : cell.values) {
    row += ',';
    row += csv_field(value);
  }
  row += ',';
  return row + std::to_string(cell.seed);
}

std::string header(const CellTable& table, const std::string& rest) {
  std::string text = "cell";
  for (const auto& key : table.keys) {
    text += ',';
    text += csv_field(key);
  }
  return text + ",seed," + rest + "\n";
}

const char* const kMetricsColumns = "activation,step,t,stopped,train_mse,test_mse,excess_risk";
const char* const kFinalColumns =
    "activation,final_test_mse,bayes_risk,excess_risk,bayes_test_mse,test_set_excess,status,stopped_step";

std::string metrics_rows(const PlannedCell& cell, const fs::path& metrics) {
  std::string rows;
  std::istringstream lines(read_text_file(metrics));
  const std::string prefix = cell_columns(cell);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const auto record = nlohmann::json::parse(line, nullptr, false);
    if (record.is_discarded() || !record.contains("activation")) {
      throw UsageError(metrics.string() + ": malformed line '" + line.substr(0, 80) + "'");
    }
    const auto field = [&](const char* name) { return record.contains(name) ? number_field(record[name]) : ""; };
    rows += prefix + "," + csv_field(record["activation"].get<std::string>()) + "," + field("step") + "," + field("t") +
            "," + field("stopped") + "," + field("train_mse") + "," + field("test_mse") + "," + field("excess_risk") +
            "\n";
  }
  return rows;
}

// The cell's summary.csv rows, columns picked by name (wall times left out).
std::string final_rows(const PlannedCell& cell, const std::string& summary, const fs::path& source) {
  std::istringstream lines(summary);
  std::string line;
  std::getline(lines, line);
  const std::vector<std::string> names = split_csv_line(line);
  const auto column = [&](const std::string& name) {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) throw UsageError(source.string() + ": no '" + name + "' column");
    return static_cast<std::size_t>(it - names.begin());
  };
  const std::vector<std::size_t> picked = {column("activation"),  column("final_test_mse"), column("bayes_risk"),
                                           column("excess_risk"), column("bayes_test_mse"), column("test_set_excess"),
                                           column("status"),      column("stopped_step")};
  std::string rows;
  const std::string prefix = cell_columns(cell);
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    const std::vector<std::string> fields = split_csv_line(line);
    if (fields.size() != names.size()) throw UsageError(source.string() + ": malformed row '" + line + "'");
    rows += prefix;
    for (const std::size_t k : picked) {
      rows += ',';
      rows += csv_field(fields[k] == "nan" ? "" : fields[k]);
    }
    rows += "\n";
  }
  return rows;
}

std::string number(double value) {
  return std::isfinite(value) ? fmt::format("{:.4g}", value) : "n/a";
}

std::string error_text(const MeanAndError& value) {
  return value.count >= 2 ? fmt::format("{:.2g}", value.standard_error) : "n/a";
}

std::string table_row(const std::vector<std::string>& cells) {
  std::string row = "|";
  for (const auto& cell : cells) {
    std::string text = cell;
    std::replace(text.begin(), text.end(), '|', '/');
    row += " " + text + " |";
  }
  return row + "\n";
}

struct GridPoint {
  std::vector<std::string> values;
  std::vector<std::string> summaries;  // summary.csv of each finished seed
  std::vector<std::string> sources;
  std::size_t planned = 0;
};

std::string summary_markdown(const CellTable& table, const std::vector<GridPoint>& points, const CollectedSweep& c,
                             const std::string& problems) {
  std::string md = "# Sweep summary\n\n";
  md += fmt::format("{} cells: {} done, {} failed, {} unfinished (partial or missing).\n\n", table.cells.size(), c.done,
                    c.failed, c.unfinished);
  if (!problems.empty()) md += "Cells without results:\n\n" + problems + "\n";
  std::vector<std::string> head = table.keys;
  std::vector<std::string> rule(table.keys.size(), "---");
  md += "## Final test MSE per grid point\n\nMean and standard error over the finished seeds.\n\n";
  {
    std::vector<std::string> h = head;
    h.insert(h.end(), {"activation", "seeds", "test MSE", "se", "excess", "se"});
    md += table_row(h);
    std::vector<std::string> r = rule;
    r.insert(r.end(), {"---", "---:", "---:", "---:", "---:", "---:"});
    md += table_row(r);
  }
  std::string paired;
  for (const GridPoint& point : points) {
    if (point.summaries.empty()) continue;
    const SeedSummary summary = summarize_seeds(point.summaries, point.sources);
    for (const SeedSummaryRow& row : summary.rows) {
      std::vector<std::string> cells = point.values;
      cells.insert(cells.end(), {row.activation, fmt::format("{} of {}", row.test_mse.count, point.planned),
                                 number(row.test_mse.mean), error_text(row.test_mse), number(row.excess.mean),
                                 error_text(row.excess)});
      md += table_row(cells);
    }
    for (const PairedDifference& pair : summary.paired) {
      std::vector<std::string> cells = point.values;
      cells.insert(cells.end(),
                   {pair.first + " − " + pair.second, std::to_string(pair.difference.count),
                    std::isfinite(pair.difference.mean) ? fmt::format("{:+.4g}", pair.difference.mean) : "n/a",
                    error_text(pair.difference)});
      paired += table_row(cells);
    }
  }
  md +=
      "\n## Paired differences of final test MSE\n\nFirst minus second activation, seed by seed (a cell's activations "
      "share its data and initial parameters, so each seed's luck cancels); mean and standard error over the seeds "
      "where both finished.\n\n";
  std::vector<std::string> h = head;
  h.insert(h.end(), {"difference", "seeds", "mean", "se"});
  md += table_row(h);
  std::vector<std::string> r = rule;
  r.insert(r.end(), {"---", "---:", "---:", "---:"});
  md += table_row(r) + paired;
  return md;
}

}  // namespace

CollectedSweep collect_sweep(const CellTable& table, const fs::path& folder) {
  CollectedSweep collected;
  collected.metrics_csv = header(table, kMetricsColumns);
  collected.final_csv = header(table, kFinalColumns);
  std::vector<GridPoint> points;
  std::map<std::vector<std::string>, std::size_t> point_of;
  std::string problems;
  for (const PlannedCell& cell : table.cells) {
    auto [it, added] = point_of.emplace(cell.values, points.size());
    if (added) points.push_back({cell.values, {}, {}, 0});
    GridPoint& point = points[it->second];
    ++point.planned;
    const fs::path cell_folder = folder / "cells" / cell.hash;
    const CellState state = cell_state(cell_folder);
    std::string label;
    for (std::size_t k = 0; k < table.keys.size(); ++k) label += table.keys[k] + "=" + cell.values[k] + " ";
    label += "seed=" + std::to_string(cell.seed);
    if (state != CellState::Done) {
      std::string why = cell_state_name(state);
      if (state == CellState::Failed) {
        ++collected.failed;
        std::istringstream failure(read_text_file(cell_folder / kCellFailureFile));
        std::string status, first_error;
        std::getline(failure, status);
        std::getline(failure, first_error);
        why = "failed (" + status + ")" + (first_error.empty() ? "" : ": " + first_error);
      } else {
        ++collected.unfinished;
      }
      problems += "- `" + cell.hash + "` " + label + ": " + why + "\n";
      continue;
    }
    ++collected.done;
    collected.metrics_csv += metrics_rows(cell, cell_folder / "run" / "metrics.jsonl");
    const fs::path summary_file = cell_folder / "run" / "summary.csv";
    const std::string summary = read_text_file(summary_file);
    collected.final_csv += final_rows(cell, summary, summary_file);
    point.summaries.push_back(summary);
    point.sources.push_back(summary_file.string());
  }
  collected.summary_md = summary_markdown(table, points, collected, problems);
  return collected;
}

void write_collected(const CollectedSweep& collected, const fs::path& folder) {
  StagedFiles files;
  files.stage(folder / "metrics.csv", collected.metrics_csv);
  files.stage(folder / "final.csv", collected.final_csv);
  files.stage(folder / "summary.md", collected.summary_md);
  files.commit();
}

}  // namespace attnlab
