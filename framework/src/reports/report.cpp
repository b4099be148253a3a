#include <attnlab/framework/common/atomic_files.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/reports/report.hpp>

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>

namespace attnlab {
namespace {

namespace fs = std::filesystem;

std::string table_cell(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string table_row(const std::vector<std::string>& cells, std::size_t columns) {
  std::string out = "|";
  for (std::size_t c = 0; c < columns; ++c) out += ' ' + (c < cells.size() ? table_cell(cells[c]) : "") + " |";
  return out + '\n';
}

}  // namespace

void write_report(const std::filesystem::path& folder, const std::string& title, const std::string& markdown) {
  // Converted first: a missing image leaves no half-written report behind.
  const std::string html = markdown_to_html(markdown, folder, title);
  fs::create_directories(folder);
  write_file_atomically(folder / "report.md", markdown);
  write_file_atomically(folder / "report.html", html);
}

std::string markdown_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  if (header.empty()) throw UsageError("a markdown table needs at least one column");
  std::string out = table_row(header, header.size());
  out += '|';
  for (std::size_t c = 0; c < header.size(); ++c) out += "---|";
  out += '\n';
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() > header.size())
      throw UsageError(fmt::format("markdown table row {} has {} cells but the header has {} columns", r + 1,
                                   rows[r].size(), header.size()));
    out += table_row(rows[r], header.size());
  }
  return out;
}

}  // namespace attnlab
