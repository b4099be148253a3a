#include "sweeps/csv_text.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/sweeps/cell_table.hpp>

#include <algorithm>
#include <set>
#include <sstream>

namespace attnlab {

CellTable cell_table(const std::vector<SweepCell>& cells, const std::vector<std::string>& keys) {
  CellTable table{keys, {}};
  std::set<std::string> seen;
  for (const SweepCell& cell : cells) {
    // Two grid points with one config (a swept key that changes nothing
    // the hash covers, e.g. train.threads) are one cell.
    if (!seen.insert(cell.hash).second) continue;
    PlannedCell planned{cell.hash, {}, cell.seed};
    for (const SweepValue& value : cell.values) planned.values.push_back(value.display);
    table.cells.push_back(std::move(planned));
  }
  return table;
}

std::string cell_table_csv(const CellTable& table) {
  std::string csv = "cell";
  for (const auto& key : table.keys) {
    csv += ',';
    csv += csv_field(key);
  }
  csv += ",seed\n";
  for (const PlannedCell& cell : table.cells) {
    csv += cell.hash;
    for (const auto& value : cell.values) {
      csv += ',';
      csv += csv_field(value);
    }
    csv += ',';
    csv += std::to_string(cell.seed) + "\n";
  }
  return csv;
}

CellTable read_cell_table(const std::string& csv, const std::string& source) {
  std::istringstream in(csv);
  std::string line;
  if (!std::getline(in, line)) throw UsageError(source + ": empty (no header)");
  std::vector<std::string> header = split_csv_line(line);
  if (header.size() < 2 || header.front() != "cell" || header.back() != "seed") {
    throw UsageError(source + ": not a sweep's cell table (header 'cell,...,seed')");
  }
  CellTable table{{header.begin() + 1, header.end() - 1}, {}};
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> fields = split_csv_line(line);
    if (fields.size() != header.size() || fields.front().empty() ||
        fields.front().find_first_not_of("0123456789abcdef") != std::string::npos || fields.back().empty() ||
        fields.back().find_first_not_of("0123456789") != std::string::npos) {
      throw UsageError(source + ": malformed row '" + line + "'");
    }
    table.cells.push_back({fields.front(), {fields.begin() + 1, fields.end() - 1}, std::stoull(fields.back())});
  }
  return table;
}

std::vector<PlannedCell> task_share(const CellTable& table, std::size_t task, std::size_t tasks) {
  if (tasks == 0 || task >= tasks)
    throw UsageError("task " + std::to_string(task) + " of " + std::to_string(tasks) + " does not exist");
  std::vector<PlannedCell> sorted = table.cells;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.hash < b.hash; });
  std::vector<PlannedCell> share;
  for (std::size_t i = task; i < sorted.size(); i += tasks) share.push_back(sorted[i]);
  return share;
}

}  // namespace attnlab
