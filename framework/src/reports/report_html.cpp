// The report's markdown as one self-contained HTML document, through
// cmark-gfm (CommonMark plus GitHub tables).
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/reports/report.hpp>

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <mutex>
#include <stdexcept>
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
figure p { margin: 0; }
figure img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.95em; margin-top: 0.4em; }
)";

// Column alignments as style attributes (HTML5 dropped `align`); invalid
// UTF-8 becomes U+FFFD instead of reaching the page.
constexpr int kOptions = CMARK_OPT_TABLE_PREFER_STYLE_ATTRIBUTES | CMARK_OPT_VALIDATE_UTF8;

struct ParserFree {
  void operator()(cmark_parser* parser) const { cmark_parser_free(parser); }
};
struct NodeFree {
  void operator()(cmark_node* node) const { cmark_node_free(node); }
};
struct StringFree {
  void operator()(char* text) const { std::free(text); }
};

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

std::string data_uri(const std::string& relative, const fs::path& base_dir) {
  const fs::path file = base_dir / relative;
  const std::string type = media_type(file);
  std::ifstream in(file, std::ios::binary);
  std::error_code error;
  if (!in || !fs::is_regular_file(file, error))
    throw UsageError(fmt::format("report image '{}' not found (looked for {})", relative, file.string()));
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return fmt::format("data:{};base64,{}", type, base64(bytes));
}

std::string text_of(const char* text) {
  return text == nullptr ? std::string() : std::string(text);
}

// Nodes of the given types, in document order, collected before any is
// changed: an iterator must not walk a tree that is being edited.
std::vector<cmark_node*> nodes_of_type(cmark_node* root, std::initializer_list<cmark_node_type> types) {
  std::vector<cmark_node*> found;
  cmark_iter* iter = cmark_iter_new(root);
  for (cmark_event_type event; (event = cmark_iter_next(iter)) != CMARK_EVENT_DONE;) {
    cmark_node* node = cmark_iter_get_node(iter);
    if (event == CMARK_EVENT_ENTER && std::find(types.begin(), types.end(), cmark_node_get_type(node)) != types.end())
      found.push_back(node);
  }
  cmark_iter_free(iter);
  return found;
}

// Puts `replacement` where `old` was and frees `old` with its children.
void replace(cmark_node* old, std::unique_ptr<cmark_node, NodeFree> replacement) {
  if (!cmark_node_replace(old, replacement.get())) throw std::logic_error("cmark-gfm refused a replacement node");
  replacement.release();
  cmark_node_free(old);
}

// Raw HTML in the markdown is shown as written, neither dropped (cmark's
// safe mode) nor passed through: the page holds only markup cmark made.
void show_raw_html_as_text(cmark_node* document) {
  for (cmark_node* html : nodes_of_type(document, {CMARK_NODE_HTML_INLINE, CMARK_NODE_HTML_BLOCK})) {
    std::string literal = text_of(cmark_node_get_literal(html));
    std::unique_ptr<cmark_node, NodeFree> text(cmark_node_new(CMARK_NODE_TEXT));
    if (cmark_node_get_type(html) == CMARK_NODE_HTML_INLINE) {
      cmark_node_set_literal(text.get(), literal.c_str());
      replace(html, std::move(text));
    } else {
      while (!literal.empty() && literal.back() == '\n') literal.pop_back();
      cmark_node_set_literal(text.get(), literal.c_str());
      std::unique_ptr<cmark_node, NodeFree> paragraph(cmark_node_new(CMARK_NODE_PARAGRAPH));
      cmark_node_append_child(paragraph.get(), text.release());
      replace(html, std::move(paragraph));
    }
  }
}

// cmark writes each image's <img> itself but blanks data URIs other than
// PNG, GIF, JPEG and WebP (SVG among them), so each image first points at a
// placeholder naming its index and gets its data URI once rendered.
constexpr std::string_view kPlaceholder = "attnlab-image-";

// Reads every image, so that a missing one stops the report before anything
// is rendered, and returns their data URIs by placeholder index.
std::vector<std::string> point_images_at_placeholders(cmark_node* document, const fs::path& base_dir) {
  std::vector<std::string> uris;
  for (cmark_node* image : nodes_of_type(document, {CMARK_NODE_IMAGE})) {
    uris.push_back(data_uri(text_of(cmark_node_get_url(image)), base_dir));
    cmark_node_set_url(image, fmt::format("{}{}", kPlaceholder, uris.size() - 1).c_str());
  }
  return uris;
}

// The only `src="` in cmark's HTML is an image's: quotes in text, code and
// titles are escaped, and raw HTML is text by now.
std::string with_data_uris(std::string_view html, const std::vector<std::string>& uris) {
  const std::string mark = fmt::format("src=\"{}", kPlaceholder);
  std::string out;
  std::size_t size = html.size();
  for (const std::string& uri : uris) size += uri.size();
  out.reserve(size);
  std::size_t done = 0;
  for (std::size_t at = html.find(mark); at != std::string_view::npos; at = html.find(mark, done)) {
    const char* digits = html.data() + at + mark.size();
    std::size_t index = 0;
    const auto [end, error] = std::from_chars(digits, html.data() + html.size(), index);
    if (error != std::errc() || index >= uris.size()) throw std::logic_error("report image placeholder out of range");
    out.append(html.substr(done, at - done)).append("src=\"").append(uris[index]);
    done = static_cast<std::size_t>(end - html.data());
  }
  out.append(html.substr(done));
  return out;
}

std::string html_of(cmark_node* node, cmark_llist* extensions) {
  const std::unique_ptr<char, StringFree> html(cmark_render_html(node, kOptions, extensions));
  return html.get();
}

// An image alone in a paragraph becomes a figure captioned with its text in
// full (cmark's alt text keeps only the words). The paragraph moves into the
// figure whole: its inlines point into its text, so it must not be freed.
void make_figures(cmark_node* document, cmark_llist* extensions) {
  for (cmark_node* image : nodes_of_type(document, {CMARK_NODE_IMAGE})) {
    cmark_node* paragraph = cmark_node_parent(image);
    if (cmark_node_get_type(paragraph) != CMARK_NODE_PARAGRAPH || cmark_node_first_child(paragraph) != image ||
        cmark_node_last_child(paragraph) != image)
      continue;
    std::string caption;
    for (cmark_node* child = cmark_node_first_child(image); child != nullptr; child = cmark_node_next(child))
      caption += html_of(child, extensions);
    std::unique_ptr<cmark_node, NodeFree> figure(cmark_node_new(CMARK_NODE_CUSTOM_BLOCK));
    cmark_node_set_on_enter(figure.get(), "<figure>");
    cmark_node_set_on_exit(figure.get(), fmt::format("<figcaption>{}</figcaption>\n</figure>", caption).c_str());
    if (!cmark_node_insert_before(paragraph, figure.get())) throw std::logic_error("cmark-gfm refused a figure");
    cmark_node_append_child(figure.release(), paragraph);
  }
}

cmark_syntax_extension* table_extension() {
  // cmark-gfm registers its extensions without a lock.
  static std::once_flag registered;
  std::call_once(registered, [] { cmark_gfm_core_extensions_ensure_registered(); });
  cmark_syntax_extension* table = cmark_find_syntax_extension("table");
  if (table == nullptr) throw std::runtime_error("cmark-gfm has no table extension");
  return table;
}

}  // namespace

std::string markdown_to_html(const std::string& markdown, const std::filesystem::path& base_dir,
                             const std::string& title) {
  const std::unique_ptr<cmark_parser, ParserFree> parser(cmark_parser_new(kOptions));
  cmark_parser_attach_syntax_extension(parser.get(), table_extension());
  cmark_parser_feed(parser.get(), markdown.data(), markdown.size());
  const std::unique_ptr<cmark_node, NodeFree> document(cmark_parser_finish(parser.get()));

  cmark_llist* extensions = cmark_parser_get_syntax_extensions(parser.get());

  show_raw_html_as_text(document.get());
  const std::vector<std::string> images = point_images_at_placeholders(document.get(), base_dir);
  make_figures(document.get(), extensions);
  const std::string body = with_data_uris(html_of(document.get(), extensions), images);
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n"
      "<style>{}</style>\n</head>\n<body>\n<main>\n{}</main>\n</body>\n</html>\n",
      escape_html(title), kStyle, body);
}

}  // namespace attnlab
