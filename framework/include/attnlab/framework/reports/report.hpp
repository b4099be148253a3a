// Reports: markdown as written, plus a self-contained HTML rendering (CSS and
// every image embedded) that can be mailed or archived as one file.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace attnlab {

// Converts CommonMark with GitHub pipe tables (cmark-gfm). Raw HTML in the
// markdown is shown as text. Every image `![caption](path)` is embedded as a
// base64 data URI (PNG, SVG, JPEG or GIF; paths relative to `base_dir`); one
// alone in a paragraph becomes a figure with its caption. Returns a complete
// HTML document. Throws UsageError naming a missing or unsupported image.
std::string markdown_to_html(const std::string& markdown, const std::filesystem::path& base_dir,
                             const std::string& title);

// Writes `folder`/report.md (the markdown unchanged) and `folder`/report.html,
// creating the folder. Nothing is written when an image is missing.
void write_report(const std::filesystem::path& folder, const std::string& title, const std::string& markdown);

// A pipe table. Cells are escaped (| becomes \|, newlines become spaces) and
// short rows are padded; a row longer than the header is a UsageError.
std::string markdown_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

}  // namespace attnlab
