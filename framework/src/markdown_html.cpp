#include <attnlab/framework/errors.hpp>
#include <attnlab/framework/report.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

namespace attnlab {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kStyle = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       line-height: 1.5; color: #1a1a1a; max-width: 980px; margin: 2em auto; padding: 0 1em; }
h1, h2, h3, h4, h5, h6 { line-height: 1.25; margin-top: 1.6em; }
h1 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; }
h2 { border-bottom: 1px solid #eee; padding-bottom: 0.2em; }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em;
       background: #f4f4f4; padding: 0.1em 0.3em; border-radius: 3px; }
pre { background: #f4f4f4; padding: 0.8em 1em; overflow-x: auto; border-radius: 4px; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; margin: 1em 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; }
th { background: #f0f0f0; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: 1.5em 0; text-align: center; }
figure img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.95em; margin-top: 0.4em; }
)";

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string_view trim(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  const std::size_t end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

bool is_blank(std::string_view line) {
  return trim(line).empty();
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// ---- inline: `code`, **bold**, backslash escapes -------------------------

struct InlineToken {
  enum class Kind { Text, Code, Strong } kind;
  std::string text;
};

std::vector<InlineToken> tokenize_inline(std::string_view text) {
  std::vector<InlineToken> tokens;
  auto append_text = [&tokens](std::string_view piece) {
    if (tokens.empty() || tokens.back().kind != InlineToken::Kind::Text)
      tokens.push_back({InlineToken::Kind::Text, {}});
    tokens.back().text += piece;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size() && std::ispunct(static_cast<unsigned char>(text[i + 1]))) {
      append_text(text.substr(i + 1, 1));
      i += 2;
    } else if (c == '`') {
      // A code span closes with a run of the same number of backticks.
      const std::size_t run_end = text.find_first_not_of('`', i);
      const std::size_t run = (run_end == std::string_view::npos ? text.size() : run_end) - i;
      const std::string fence(run, '`');
      const std::size_t close = text.find(fence, i + run);
      if (close == std::string_view::npos) {
        append_text(text.substr(i, run));
        i += run;
        continue;
      }
      std::string_view code = text.substr(i + run, close - i - run);
      if (code.size() >= 2 && code.front() == ' ' && code.back() == ' ') code = code.substr(1, code.size() - 2);
      tokens.push_back({InlineToken::Kind::Code, std::string(code)});
      i = close + run;
    } else if (c == '*' && i + 1 < text.size() && text[i + 1] == '*') {
      tokens.push_back({InlineToken::Kind::Strong, "**"});
      i += 2;
    } else {
      append_text(text.substr(i, 1));
      ++i;
    }
  }
  return tokens;
}

std::string render_inline(std::string_view text) {
  const std::vector<InlineToken> tokens = tokenize_inline(text);
  std::size_t markers = 0;
  for (const InlineToken& token : tokens) markers += token.kind == InlineToken::Kind::Strong;
  // An unpaired ** is shown as written.
  const std::size_t paired = markers - markers % 2;
  std::string out;
  std::size_t seen = 0;
  for (const InlineToken& token : tokens) {
    switch (token.kind) {
      case InlineToken::Kind::Text:
        out += escape_html(token.text);
        break;
      case InlineToken::Kind::Code:
        out += "<code>" + escape_html(token.text) + "</code>";
        break;
      case InlineToken::Kind::Strong:
        out += seen >= paired ? "**" : (seen % 2 == 0 ? "<strong>" : "</strong>");
        ++seen;
        break;
    }
  }
  return out;
}

// ---- images --------------------------------------------------------------

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned value = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                           static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[value >> 18 & 63];
    out += kAlphabet[value >> 12 & 63];
    out += kAlphabet[value >> 6 & 63];
    out += kAlphabet[value & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    unsigned value = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) value |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[value >> 18 & 63];
    out += kAlphabet[value >> 12 & 63];
    out += rest == 2 ? kAlphabet[value >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

struct ImageLine {
  std::string caption;
  std::string path;
};

// A line holding nothing but `![caption](path)`.
std::optional<ImageLine> parse_image_line(std::string_view line) {
  line = trim(line);
  if (!starts_with(line, "![") || line.back() != ')') return std::nullopt;
  const std::size_t middle = line.rfind("](");
  if (middle == std::string_view::npos || middle < 2) return std::nullopt;
  const std::string_view path = trim(line.substr(middle + 2, line.size() - middle - 3));
  if (path.empty()) return std::nullopt;
  return ImageLine{std::string(line.substr(2, middle - 2)), std::string(path)};
}

std::string media_type(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".png") return "image/png";
  if (extension == ".svg") return "image/svg+xml";
  if (extension == ".jpg" || extension == ".jpeg") return "image/jpeg";
  if (extension == ".gif") return "image/gif";
  throw UsageError(fmt::format("report image '{}': unsupported type (use .png, .svg, .jpg or .gif)", path.string()));
}

std::string embedded_image(const ImageLine& image, const fs::path& base_dir) {
  const fs::path file = base_dir / image.path;
  const std::string type = media_type(file);
  std::ifstream in(file, std::ios::binary);
  std::error_code error;
  if (!in || !fs::is_regular_file(file, error))
    throw UsageError(fmt::format("report image '{}' not found (looked for {})", image.path, file.string()));
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return fmt::format("<figure><img src=\"data:{};base64,{}\" alt=\"{}\"><figcaption>{}</figcaption></figure>\n", type,
                     base64(bytes), escape_html(image.caption), render_inline(image.caption));
}

// ---- blocks --------------------------------------------------------------

std::optional<std::size_t> heading_level(std::string_view line) {
  line = trim(line);
  const std::size_t level = line.find_first_not_of('#');
  if (level == 0 || level > 6 || level == std::string_view::npos || line[level] != ' ') return std::nullopt;
  return level;
}

std::optional<std::string_view> bullet_item(std::string_view line) {
  const std::string_view trimmed = trim(line);
  if (trimmed.size() >= 2 && (trimmed[0] == '-' || trimmed[0] == '*' || trimmed[0] == '+') && trimmed[1] == ' ' &&
      line.find_first_not_of(' ') < 4)
    return trim(trimmed.substr(2));
  return std::nullopt;
}

std::optional<std::string_view> fence_info(std::string_view line) {
  line = trim(line);
  if (!starts_with(line, "```")) return std::nullopt;
  return trim(line.substr(3));
}

// Cells of `| a | b |`; `\|` is a literal bar inside a cell.
std::vector<std::string> table_cells(std::string_view line) {
  line = trim(line);
  if (starts_with(line, "|")) line.remove_prefix(1);
  if (!line.empty() && line.back() == '|' && !(line.size() >= 2 && line[line.size() - 2] == '\\'))
    line.remove_suffix(1);
  std::vector<std::string> cells(1);
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
      cells.back() += '|';
      ++i;
    } else if (line[i] == '|') {
      cells.emplace_back();
    } else {
      cells.back() += line[i];
    }
  }
  for (std::string& cell : cells) cell = std::string(trim(cell));
  return cells;
}

bool is_table_row(std::string_view line) {
  return starts_with(trim(line), "|");
}

// The alignments of a `|---|:--:|` row, or nothing when it is not one.
std::optional<std::vector<std::string>> table_alignments(std::string_view line, std::size_t columns) {
  if (!is_table_row(line)) return std::nullopt;
  std::vector<std::string> alignments;
  for (const std::string& cell : table_cells(line)) {
    const bool left = starts_with(cell, ":");
    const bool right = !cell.empty() && cell.back() == ':';
    const std::string_view dashes = std::string_view(cell).substr(left, cell.size() - left - right);
    if (dashes.empty() || dashes.find_first_not_of('-') != std::string_view::npos) return std::nullopt;
    alignments.push_back(left && right ? "center" : right ? "right" : left ? "left" : "");
  }
  if (alignments.size() != columns) return std::nullopt;
  return alignments;
}

std::string table_row_html(const std::vector<std::string>& cells, const std::vector<std::string>& alignments,
                           const char* tag) {
  std::string out = "<tr>";
  for (std::size_t c = 0; c < alignments.size(); ++c) {
    const std::string style = alignments[c].empty() ? "" : fmt::format(" style=\"text-align:{}\"", alignments[c]);
    out += fmt::format("<{}{}>{}</{}>", tag, style, c < cells.size() ? render_inline(cells[c]) : "", tag);
  }
  return out + "</tr>\n";
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    begin = end + 1;
  }
  return lines;
}

class BodyWriter {
 public:
  explicit BodyWriter(const fs::path& base_dir) : base_dir_(base_dir) {}

  std::string convert(const std::vector<std::string_view>& lines) {
    std::size_t i = 0;
    while (i < lines.size()) {
      const std::string_view line = lines[i];
      if (const auto info = fence_info(line)) {
        i = code_block(lines, i, *info);
      } else if (is_blank(line)) {
        flush_paragraph();
        ++i;
      } else if (const auto level = heading_level(line)) {
        flush_paragraph();
        out_ += fmt::format("<h{0}>{1}</h{0}>\n", *level, render_inline(trim(trim(line).substr(*level))));
        ++i;
      } else if (const auto image = parse_image_line(line)) {
        flush_paragraph();
        out_ += embedded_image(*image, base_dir_);
        ++i;
      } else if (is_table_row(line) && i + 1 < lines.size() &&
                 table_alignments(lines[i + 1], table_cells(line).size())) {
        i = table(lines, i);
      } else if (bullet_item(line)) {
        i = bullet_list(lines, i);
      } else {
        paragraph_.emplace_back(trim(line));
        ++i;
      }
    }
    flush_paragraph();
    return std::move(out_);
  }

 private:
  void flush_paragraph() {
    if (paragraph_.empty()) return;
    std::string text;
    for (const std::string& line : paragraph_) text += (text.empty() ? "" : "\n") + line;
    out_ += "<p>" + render_inline(text) + "</p>\n";
    paragraph_.clear();
  }

  // An unclosed fence runs to the end of the text, as in CommonMark.
  std::size_t code_block(const std::vector<std::string_view>& lines, std::size_t i, std::string_view info) {
    flush_paragraph();
    const std::string language(info.substr(0, info.find(' ')));
    out_ += language.empty() ? "<pre><code>" : fmt::format("<pre><code class=\"language-{}\">", escape_html(language));
    for (++i; i < lines.size() && !fence_info(lines[i]); ++i) out_ += escape_html(lines[i]) + '\n';
    out_ += "</code></pre>\n";
    return i + 1;
  }

  std::size_t table(const std::vector<std::string_view>& lines, std::size_t i) {
    flush_paragraph();
    const std::vector<std::string> header = table_cells(lines[i]);
    const std::vector<std::string> alignments = *table_alignments(lines[i + 1], header.size());
    out_ += "<table>\n<thead>\n" + table_row_html(header, alignments, "th") + "</thead>\n<tbody>\n";
    for (i += 2; i < lines.size() && is_table_row(lines[i]); ++i)
      out_ += table_row_html(table_cells(lines[i]), alignments, "td");
    out_ += "</tbody>\n</table>\n";
    return i;
  }

  // Items may continue on indented lines; a blank line ends the list.
  std::size_t bullet_list(const std::vector<std::string_view>& lines, std::size_t i) {
    flush_paragraph();
    std::vector<std::string> items;
    for (; i < lines.size() && !is_blank(lines[i]); ++i) {
      if (const auto item = bullet_item(lines[i]))
        items.emplace_back(*item);
      else if (lines[i].front() == ' ' || lines[i].front() == '\t')
        items.back().append(1, '\n').append(trim(lines[i]));
      else
        break;
    }
    out_ += "<ul>\n";
    for (const std::string& item : items) out_ += "<li>" + render_inline(item) + "</li>\n";
    out_ += "</ul>\n";
    return i;
  }

  const fs::path& base_dir_;
  std::vector<std::string> paragraph_;
  std::string out_;
};

}  // namespace

std::string markdown_to_html(const std::string& markdown, const std::filesystem::path& base_dir,
                             const std::string& title) {
  const std::string body = BodyWriter(base_dir).convert(split_lines(markdown));
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n"
      "<style>{}</style>\n</head>\n<body>\n<main>\n{}</main>\n</body>\n</html>\n",
      escape_html(title), kStyle, body);
}

}  // namespace attnlab
