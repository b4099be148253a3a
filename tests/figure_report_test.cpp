// Figures rendered by gnuplot (PNG, SVG, data, script) and the report writer
// (markdown to self-contained HTML).
#include "test_support.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/reports/figure.hpp>
#include <attnlab/framework/reports/report.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using attnlab::Figure;
using attnlab::FigureSeries;

namespace {

// Replaces $PATH for one scope.
class PathOverride {
 public:
  explicit PathOverride(const std::string& value) {
    if (const char* old = std::getenv("PATH")) old_ = old;
    ::setenv("PATH", value.c_str(), 1);
  }
  ~PathOverride() {
    if (old_)
      ::setenv("PATH", old_->c_str(), 1);
    else
      ::unsetenv("PATH");
  }
  PathOverride(const PathOverride&) = delete;
  PathOverride& operator=(const PathOverride&) = delete;

 private:
  std::optional<std::string> old_;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint32_t big_endian_u32(const std::string& bytes, std::size_t offset) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = value << 8 | static_cast<unsigned char>(bytes[offset + i]);
  return value;
}

const std::string kPngSignature = "\x89PNG\r\n\x1a\n";

// Checks the signature and the IHDR chunk that must come first.
void check_png(const fs::path& path, std::uint32_t width, std::uint32_t height) {
  const std::string bytes = read_file(path);
  REQUIRE(bytes.size() > 33);
  CHECK(bytes.substr(0, 8) == kPngSignature);
  CHECK(bytes.substr(12, 4) == "IHDR");
  CHECK(big_endian_u32(bytes, 16) == width);
  CHECK(big_endian_u32(bytes, 20) == height);
}

void check_svg(const std::string& svg) {
  CHECK((svg.rfind("<?xml", 0) == 0 || svg.rfind("<svg", 0) == 0));
  CHECK(svg.find("</svg>") != std::string::npos);
}

std::string base64_decode(const std::string& text) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const std::size_t value = alphabet.find(c);
    if (value == std::string::npos) break;  // '=' padding or the end of the URI
    buffer = buffer << 6 | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(buffer >> bits & 0xff);
    }
  }
  return out;
}

// A valid 1×1 grayscale PNG.
const std::string kTinyPng(
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00"
    "\x00\x3a\x7e\x9b\x55\x00\x00\x00\x0a\x49\x44\x41\x54\x78\x9c\x63\x60\x00\x00\x00\x02\x00\x01\x48\xaf\xa4\x71\x00"
    "\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82",
    67);

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  REQUIRE(out);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

Figure two_series_figure() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Figure figure;
  figure.title = "Risk against sample size";
  figure.x_label = "samples";
  figure.y_label = "test risk";
  figure.log_x = true;
  figure.series.push_back({.label = "softmax run",
                           .x = {0.0, 10, 100, 1000, 10000},  // x = 0 cannot be shown on a log axis
                           .y = {0.9, 0.8, nan, 0.55, 0.5},
                           .error = {0.1, 0.05, 0.05, 0.02, 0.01},
                           .style = FigureSeries::Style::LinesPoints});
  figure.series.push_back({.label = "softmax1 run",
                           .x = {10, 100, 1000, 10000},
                           .y = {0.85, 0.7, 0.6, 0.52},
                           .error = {},
                           .style = FigureSeries::Style::Dashed});
  figure.horizontal_lines = {{"Bayes risk", 0.477}};
  figure.width = 640;
  figure.height = 400;
  return figure;
}

}  // namespace

TEST_CASE("render_figure writes a PNG, an SVG, and the data and script they came from", "[figure]") {
  attnlab::test::TempDir folder;
  const fs::path stem = folder.path() / "plots" / "risk";
  attnlab::render_figure(two_series_figure(), stem);

  check_png(folder.path() / "plots" / "risk.png", 640, 400);
  const std::string svg = read_file(folder.path() / "plots" / "risk.svg");
  check_svg(svg);
  CHECK(contains(svg, "width=\"640\""));
  for (const char* text : {"softmax run", "softmax1 run", "Bayes risk", "Risk against sample size"})
    CHECK(contains(svg, text));

  const std::string data = read_file(folder.path() / "plots" / "risk.dat");
  CHECK_FALSE(contains(data, "nan"));
  CHECK(contains(data, "1000 0.55 0.02"));
  CHECK_FALSE(contains(data, "\n0 0.9"));  // dropped: x = 0 on a log axis
  const std::string script = read_file(folder.path() / "plots" / "risk.gp");
  CHECK(contains(script, "set logscale x"));
  CHECK(contains(script, "yerrorlines"));
  CHECK(contains(script, "0.477 with lines"));
}

TEST_CASE("figure text with quotes and gnuplot markup is shown as written", "[figure]") {
  attnlab::test::TempDir folder;
  Figure figure;
  figure.title = "it's \"quoted\" <&> a_b^c @x {y} \\n";
  figure.x_label = "line one\nline two";  // a newline must not break the script
  figure.series.push_back({.label = "σ = 0.5 'noisy'", .x = {1, 2, 3}, .y = {3, 1, 2}, .error = {}});
  attnlab::render_figure(figure, folder.path() / "labels");

  const std::string svg = read_file(folder.path() / "labels.svg");
  check_svg(svg);
  CHECK(contains(svg, "it's \"quoted\" &lt;&amp;"));
  CHECK(contains(svg, "a_b^c @x {y} \\n"));
  CHECK(contains(svg, "line one line two"));
  CHECK(contains(svg, "σ = 0.5 'noisy'"));
}

TEST_CASE("rendering the same figure twice gives identical files", "[figure]") {
  attnlab::test::TempDir folder;
  attnlab::render_figure(two_series_figure(), folder.path() / "first");
  attnlab::render_figure(two_series_figure(), folder.path() / "second");
  CHECK(read_file(folder.path() / "first.png") == read_file(folder.path() / "second.png"));
  CHECK(read_file(folder.path() / "first.dat") == read_file(folder.path() / "second.dat"));
}

TEST_CASE("a figure grid draws several panels into one image", "[figure]") {
  attnlab::test::TempDir folder;
  attnlab::FigureGrid grid;
  grid.columns = 2;
  grid.panel_width = 300;
  grid.panel_height = 200;
  grid.panels = {two_series_figure(), two_series_figure(), Figure{}};
  grid.panels[1].log_y = true;
  grid.panels[1].y_range = std::pair{0.1, 1.0};
  // A panel whose only series never produced a finite value still renders.
  grid.panels[2].series.push_back({.label = "diverged", .x = {1, 2}, .y = {INFINITY, NAN}, .error = {}});
  attnlab::render_figure_grid(grid, folder.path() / "grid");

  check_png(folder.path() / "grid.png", 600, 400);
  const std::string svg = read_file(folder.path() / "grid.svg");
  check_svg(svg);
  CHECK(contains(svg, "diverged"));
  CHECK(contains(svg, "no finite data"));
}

TEST_CASE("a heat map draws each cell's value, NaN included, and sizes the image to the table", "[figure]") {
  attnlab::test::TempDir folder;
  attnlab::HeatMap map;
  map.title = "final key overlaps";
  map.row_labels = {"head 1", "head 2"};
  map.column_labels = {"f1", "f2", "mean direction"};
  map.values = {{0.5, -1.2, NAN}, {0.004, 2.3, -0.4}};
  attnlab::render_heat_map(map, folder.path() / "final");

  check_png(folder.path() / "final.png", 530, 300);  // 110 px per column, at least 300 px high
  const std::string data = read_file(folder.path() / "final.dat");
  CHECK(contains(data, "\n1 1 0.5\n2 1 -1.2\n3 1 NaN\n1 2 0.004\n2 2 2.3\n3 2 -0.4\n"));
  const std::string svg = read_file(folder.path() / "final.svg");
  check_svg(svg);
  for (const char* text : {">0.50<", ">-1.20<", ">nan<", ">0.00<", ">2.30<", ">-0.40<", "mean direction", "head 2"})
    CHECK(contains(svg, text));
  CHECK(contains(read_file(folder.path() / "final.gp"), "set cbrange [-scale:scale]"));
  CHECK(contains(read_file(folder.path() / "final.gp"), "scale = 2.3"));

  map.values[1].pop_back();
  CHECK_THROWS_WITH(attnlab::render_heat_map(map, folder.path() / "bad"),
                    "figure bad: row 2 has 2 values for 3 columns");
  map.values.pop_back();
  CHECK_THROWS_WITH(attnlab::render_heat_map(map, folder.path() / "bad"),
                    "figure bad: 1 rows of values for 2 row labels");
  CHECK_FALSE(fs::exists(folder.path() / "bad.gp"));
}

TEST_CASE("an inconsistent figure is refused with the series named", "[figure]") {
  attnlab::test::TempDir folder;
  Figure figure;
  figure.series.push_back({.label = "short", .x = {1, 2, 3}, .y = {1, 2}, .error = {}});
  CHECK_THROWS_AS(attnlab::render_figure(figure, folder.path() / "bad"), attnlab::UsageError);
  CHECK_THROWS_WITH(attnlab::render_figure(figure, folder.path() / "bad"),
                    Catch::Contains("'short'") && Catch::Contains("3 x values but 2 y values"));

  figure.series[0].y.push_back(3);
  figure.series[0].error = {0.1};
  CHECK_THROWS_WITH(attnlab::render_figure(figure, folder.path() / "bad"), Catch::Contains("1 error values"));
  CHECK_FALSE(fs::exists(folder.path() / "bad.gp"));
}

TEST_CASE("without gnuplot on PATH rendering says how to install it", "[figure]") {
  attnlab::test::TempDir folder;
  const fs::path empty_bin = folder.path() / "empty-bin";
  fs::create_directories(empty_bin);
  PathOverride path(empty_bin.string());
  CHECK_THROWS_AS(attnlab::render_figure(two_series_figure(), folder.path() / "fig"), attnlab::UsageError);
  CHECK_THROWS_WITH(attnlab::render_figure(two_series_figure(), folder.path() / "fig"),
                    "gnuplot not found on PATH; run scripts/setup.sh");
}

TEST_CASE("a failing gnuplot is reported with its message and the script", "[figure]") {
  attnlab::test::TempDir folder;
  const fs::path fake_bin = folder.path() / "fake-bin";
  fs::create_directories(fake_bin);
  write_file(fake_bin / "gnuplot",
             "#!/bin/sh\necho 'plot x' >&2\necho '\"fig.gp\" line 9: something broke' >&2\nexit 1\n");
  fs::permissions(fake_bin / "gnuplot", fs::perms::owner_all);
  PathOverride path(fake_bin.string());
  CHECK_THROWS_WITH(
      attnlab::render_figure(two_series_figure(), folder.path() / "fig"),
      "gnuplot failed on " + (folder.path() / "fig.gp").string() + ": \"fig.gp\" line 9: something broke");
}

TEST_CASE("markdown headings, paragraphs, lists, emphasis and code become escaped HTML", "[report]") {
  const std::string html = attnlab::markdown_to_html(
      "# Results <1>\n\n## Setup\n### Details\n\nRisk is **lower** with `softmax1` & a<b>c, *seed* 3.\nSecond line.\n\n"
      "- first **item**\n- second\n  continued\n\n1. one\n2. two\n\n```toml\n[model] # <not **bold**>\n```\n",
      ".", "Report & <title>");
  CHECK(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0) == 0);
  CHECK(contains(html, "<meta charset=\"utf-8\">"));
  CHECK(contains(html, "<title>Report &amp; &lt;title&gt;</title>"));
  CHECK(contains(html, "<style>\nbody {"));
  CHECK(contains(html, "figcaption { color: #555;"));
  CHECK(contains(html, "<main>\n<h1>"));
  CHECK(contains(html, "</main>\n</body>\n</html>\n"));
  CHECK(contains(html, "<h1>Results &lt;1&gt;</h1>"));
  CHECK(contains(html, "<h2>Setup</h2>"));
  CHECK(contains(html, "<h3>Details</h3>"));
  CHECK(contains(html,
                 "<p>Risk is <strong>lower</strong> with <code>softmax1</code> &amp; a&lt;b&gt;c, <em>seed</em> 3.\n"
                 "Second line.</p>"));
  CHECK(contains(html, "<ul>\n<li>first <strong>item</strong></li>\n<li>second\ncontinued</li>\n</ul>"));
  CHECK(contains(html, "<ol>\n<li>one</li>\n<li>two</li>\n</ol>"));
  CHECK(contains(html, "<pre><code class=\"language-toml\">[model] # &lt;not **bold**&gt;\n</code></pre>"));
}

TEST_CASE("raw HTML in report markdown is shown as text, never interpreted or dropped", "[report]") {
  const std::string html = attnlab::markdown_to_html(
      "<div class=\"x\">\n<script>alert(1)</script>\n</div>\n\nA <span>tag</span> & an <!-- aside -->.\n", ".", "t");
  CHECK(contains(html, "<p>&lt;div class=&quot;x&quot;&gt;\n&lt;script&gt;alert(1)&lt;/script&gt;\n&lt;/div&gt;</p>"));
  CHECK(contains(html, "<p>A &lt;span&gt;tag&lt;/span&gt; &amp; an &lt;!-- aside --&gt;.</p>"));
  CHECK_FALSE(contains(html, "<script>"));
  CHECK_FALSE(contains(html, "<span>"));
  CHECK_FALSE(contains(html, "omitted"));
}

TEST_CASE("markdown tables become HTML tables, and markdown_table writes them", "[report]") {
  const std::string table =
      attnlab::markdown_table({"activation", "risk"}, {{"softmax", "0.52"}, {"a|b", "0.6"}, {"short"}});
  CHECK(table == "| activation | risk |\n|---|---|\n| softmax | 0.52 |\n| a\\|b | 0.6 |\n| short |  |\n");
  CHECK_THROWS_AS(attnlab::markdown_table({"one"}, {{"a", "b"}}), attnlab::UsageError);

  const std::string html = attnlab::markdown_to_html("Before.\n\n" + table, ".", "t");
  CHECK(contains(html,
                 "<p>Before.</p>\n<table>\n<thead>\n<tr>\n<th>activation</th>\n<th>risk</th>\n</tr>\n</thead>\n"
                 "<tbody>\n<tr>\n<td>softmax</td>\n<td>0.52</td>\n</tr>\n"));
  CHECK(contains(html, "<tr>\n<td>a|b</td>\n<td>0.6</td>\n</tr>"));
  CHECK(contains(html, "<tr>\n<td>short</td>\n<td></td>\n</tr>\n</tbody>\n</table>"));
  CHECK_FALSE(contains(html, "|---|"));

  const std::string aligned = attnlab::markdown_to_html("| a | b | c |\n|:--|--:|:-:|\n| 1 | `x` | <y> |\n", ".", "t");
  CHECK(contains(aligned, "<th style=\"text-align: left\">a</th>"));
  CHECK(contains(aligned,
                 "<tr>\n<td style=\"text-align: left\">1</td>\n<td style=\"text-align: right\"><code>x</code></td>\n"
                 "<td style=\"text-align: center\">&lt;y&gt;</td>\n</tr>"));
}

TEST_CASE("report images are embedded as data URIs, never linked", "[report]") {
  attnlab::test::TempDir folder;
  fs::create_directories(folder.path() / "figures");
  write_file(folder.path() / "figures" / "risk.png", kTinyPng);
  const std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>a &amp; b</text></svg>";
  write_file(folder.path() / "figures" / "risk.svg", svg);

  const std::string markdown =
      "# Report\n\n![Risk **against** samples & <seeds>](figures/risk.png)\n\n![Same, as SVG](figures/risk.svg)\n\n"
      "Inline ![dot](figures/risk.png \"A \\\"dot\\\"\") in text.\n\n| figure |\n|---|\n| ![cell](figures/risk.svg) "
      "|\n";
  attnlab::write_report(folder.path() / ".", "Report", markdown);
  CHECK(read_file(folder.path() / "report.md") == markdown);
  const std::string html = read_file(folder.path() / "report.html");

  const std::string png_prefix = "<figure>\n<p><img src=\"data:image/png;base64,";
  const std::size_t png_at = html.find(png_prefix);
  REQUIRE(png_at != std::string::npos);
  const std::size_t png_end = html.find('"', png_at + png_prefix.size());
  CHECK(base64_decode(html.substr(png_at + png_prefix.size(), png_end - png_at - png_prefix.size())) == kTinyPng);
  CHECK(contains(html,
                 "\" alt=\"Risk against samples &amp; &lt;seeds&gt;\" /></p>\n<figcaption>Risk "
                 "<strong>against</strong> samples &amp; &lt;seeds&gt;</figcaption>\n</figure>"));

  // cmark itself would blank an SVG data URI; the bytes must arrive whole.
  const std::string svg_prefix = "<img src=\"data:image/svg+xml;base64,";
  const std::size_t svg_at = html.find(svg_prefix);
  REQUIRE(svg_at != std::string::npos);
  const std::size_t svg_end = html.find('"', svg_at + svg_prefix.size());
  CHECK(base64_decode(html.substr(svg_at + svg_prefix.size(), svg_end - svg_at - svg_prefix.size())) == svg);
  CHECK(contains(html, "\" alt=\"Same, as SVG\" /></p>\n<figcaption>Same, as SVG</figcaption>"));

  // Only an image alone in its paragraph is a figure.
  CHECK(contains(html, "<p>Inline <img src=\"data:image/png;base64,"));
  CHECK(contains(html, "\" alt=\"dot\" title=\"A &quot;dot&quot;\" /> in text.</p>"));
  CHECK(contains(html, "<td><img src=\"data:image/svg+xml;base64,"));
  CHECK(contains(html, "\" alt=\"cell\" /></td>"));

  std::size_t images = 0;
  for (std::size_t at = html.find("src=\""); at != std::string::npos; at = html.find("src=\"", at + 1), ++images)
    CHECK(html.compare(at, 10, "src=\"data:") == 0);
  CHECK(images == 4);
  CHECK_FALSE(contains(html, "figures/risk"));
}

TEST_CASE("a missing, remote or unsupported report image is an error naming it, and nothing is written", "[report]") {
  attnlab::test::TempDir folder;
  CHECK_THROWS_AS(attnlab::markdown_to_html("![gone](figures/missing.png)\n", folder.path(), "t"), attnlab::UsageError);
  CHECK_THROWS_WITH(attnlab::write_report(folder.path() / "out", "t", "text\n\n![gone](figures/missing.png)\n"),
                    Catch::Contains("'figures/missing.png' not found"));
  CHECK_FALSE(fs::exists(folder.path() / "out" / "report.md"));
  CHECK_FALSE(fs::exists(folder.path() / "out" / "report.html"));
  CHECK_THROWS_WITH(attnlab::markdown_to_html("See ![far](https://example.org/risk.png).\n", folder.path(), "t"),
                    Catch::Contains("'https://example.org/risk.png' not found"));
  CHECK_THROWS_WITH(attnlab::markdown_to_html("| a |\n|---|\n| ![gone](gone.svg) |\n", folder.path(), "t"),
                    Catch::Contains("'gone.svg' not found"));
  write_file(folder.path() / "notes.txt", "x");
  CHECK_THROWS_WITH(attnlab::markdown_to_html("![notes](notes.txt)", folder.path(), "t"),
                    Catch::Contains("unsupported type"));
}
