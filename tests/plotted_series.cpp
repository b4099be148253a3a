#include "plotted_series.hpp"

#include "common/child_process.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

namespace attnlab::test {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The script's commands with continued lines (ending in a backslash) joined.
std::vector<std::string> commands(const std::string& script) {
  std::vector<std::string> result;
  std::istringstream lines(script);
  std::string pending;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\\') {
      pending += line.substr(0, line.size() - 1);
      continue;
    }
    result.push_back(pending + line);
    pending.clear();
  }
  return result;
}

// A plot command's clauses: split at commas outside single-quoted strings
// (inside them '' stands for one quote, so tracking quotes is enough).
std::vector<std::string> clauses(const std::string& plot) {
  std::vector<std::string> result(1);
  bool quoted = false;
  for (const char c : plot) {
    if (c == '\'') quoted = !quoted;
    if (c == ',' && !quoted) {
      result.emplace_back();
    } else {
      result.back() += c;
    }
  }
  return result;
}

std::string trimmed(const std::string& text) {
  const std::size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

std::string title_of(const std::string& clause) {
  const std::size_t at = clause.find("title '");
  REQUIRE(at != std::string::npos);
  std::string title;
  for (std::size_t i = at + 7; i < clause.size(); ++i) {
    if (clause[i] != '\'') {
      title += clause[i];
    } else if (i + 1 < clause.size() && clause[i + 1] == '\'') {
      title += '\'';
      ++i;
    } else {
      return title;
    }
  }
  FAIL("unterminated title in: " << clause);
  return title;
}

// Every point of a `set table` file (written with 17 digits, so exact).
std::vector<std::pair<double, double>> table_points(const fs::path& path) {
  std::vector<std::pair<double, double>> points;
  std::istringstream lines(read_text(path));
  for (std::string line; std::getline(lines, line);) {
    if (trimmed(line).empty() || trimmed(line).front() == '#') continue;
    std::istringstream fields(line);
    std::string x, y;
    fields >> x >> y;
    points.emplace_back(std::strtod(x.c_str(), nullptr), std::strtod(y.c_str(), nullptr));
  }
  return points;
}

}  // namespace

std::vector<PlottedSeries> plotted_series(const fs::path& stem) {
  const fs::path folder = stem.parent_path();
  const std::string data = stem.filename().string() + ".dat";
  std::vector<PlottedSeries> series;
  std::vector<std::string> indices;  // the data index of each drawn series
  std::size_t plots = 0;
  for (const std::string& command : commands(read_text(fs::path(stem) += ".gp"))) {
    const std::string line = trimmed(command);
    if (line.rfind("plot ", 0) != 0) continue;
    for (const std::string& clause : clauses(line.substr(5))) {
      const std::string text = trimmed(clause);
      const bool drawn = text.rfind("data index ", 0) == 0;
      if (!drawn && text.rfind("keyentry ", 0) != 0) continue;
      series.push_back({.panel = plots, .title = title_of(text), .drawn = drawn, .points = {}});
      if (drawn) indices.push_back(text.substr(11, text.find(' ', 11) - 11));
    }
    ++plots;
  }

  // Each drawn series' points as gnuplot reads them, one table file each.
  std::string script;
  for (std::size_t k = 0; k < indices.size(); ++k) {
    script += "set table '.plotted-" + std::to_string(k) + ".txt'\n";
    script += "plot '" + data + "' index " + indices[k] +
              " using (sprintf('%.17g', $1)):(sprintf('%.17g', $2)) with table\nunset table\n";
  }
  std::ofstream(folder / ".plotted.gp") << script;
  const auto gnuplot = find_on_path("gnuplot");
  REQUIRE(gnuplot);
  const ProcessOutcome outcome = run_process(*gnuplot, {"-d", ".plotted.gp"}, folder);
  INFO(outcome.standard_error);
  REQUIRE((outcome.exited_normally && outcome.exit_code == 0));
  std::size_t k = 0;
  for (PlottedSeries& one : series) {
    if (!one.drawn) continue;
    const fs::path table = folder / (".plotted-" + std::to_string(k++) + ".txt");
    one.points = table_points(table);
    fs::remove(table);
  }
  fs::remove(folder / ".plotted.gp");
  return series;
}

}  // namespace attnlab::test
