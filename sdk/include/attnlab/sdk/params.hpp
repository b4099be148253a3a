// Plugin parameters: the text the host passes to create(), parsed in the plugin.
//
// Format: one `key = value` per line (or separated by ';'), '#' starts a
// comment. A value is a number, a word or quoted string, a list `[1, 2.5]`, or
// a list of lists `[[1, 0], [-1, 0]]`. A quoted value is text, never a number:
// number() refuses "100" as a string. Values are parsed when asked for, and
// require_all_used() rejects keys the plugin never asked about, so a typo in a
// config is an error rather than a silently ignored setting.
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace attnlab {

class ParamError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Params {
 public:
  Params() = default;

  static Params parse(std::string_view text) {
    Params params;
    std::size_t line_number = 1;  // ';' separates entries on one line
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t end = text.find_first_of("\n;", start);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(start, end - start);
      if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
      line = trim(line);
      if (!line.empty()) {
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) {
          throw ParamError("parameter line " + std::to_string(line_number) + " '" + std::string(line) +
                           "' is not of the form key = value");
        }
        const std::string key(trim(line.substr(0, eq)));
        const std::string value(trim(line.substr(eq + 1)));
        if (key.empty()) throw ParamError("parameter line " + std::to_string(line_number) + " has an empty key");
        if (!params.values_.emplace(key, value).second) throw ParamError("parameter '" + key + "' is given twice");
      }
      if (end < text.size() && text[end] == '\n') ++line_number;
      start = end + 1;
    }
    return params;
  }

  bool has(const std::string& key) const {
    used_.insert(key);
    return values_.count(key) != 0;
  }

  double number(const std::string& key) const { return parse_number(key, raw(key)); }
  double number(const std::string& key, double fallback) const { return has(key) ? number(key) : fallback; }

  long long integer(const std::string& key) const {
    const double value = number(key);
    // Beyond 2^53 a double no longer holds every integer exactly.
    if (std::fabs(value) > 9.0e15) {
      throw ParamError("parameter '" + key + "' = " + raw(key) +
                       " is out of range for an integer (at most 9e15 in magnitude)");
    }
    if (value != std::floor(value)) throw ParamError("parameter '" + key + "' must be an integer, got " + raw(key));
    return static_cast<long long>(value);
  }
  long long integer(const std::string& key, long long fallback) const { return has(key) ? integer(key) : fallback; }

  std::string text(const std::string& key) const {
    std::string value = raw(key);
    if (is_quoted(value)) value = value.substr(1, value.size() - 2);
    return value;
  }
  std::string text(const std::string& key, const std::string& fallback) const {
    return has(key) ? text(key) : fallback;
  }

  std::vector<double> numbers(const std::string& key) const {
    const std::string& value = raw(key);
    std::string_view inner = unbracket(key, value);
    std::vector<double> out;
    for (std::string_view item : split_top_level(key, inner)) out.push_back(parse_number(key, item));
    return out;
  }

  std::vector<std::vector<double>> rows(const std::string& key) const {
    const std::string& value = raw(key);
    std::string_view inner = unbracket(key, value);
    std::vector<std::vector<double>> out;
    for (std::string_view row : split_top_level(key, inner)) {
      std::vector<double> numbers_in_row;
      for (std::string_view item : split_top_level(key, unbracket(key, row))) {
        numbers_in_row.push_back(parse_number(key, item));
      }
      out.push_back(std::move(numbers_in_row));
    }
    return out;
  }

  // Throws naming every key that no accessor asked about.
  void require_all_used() const {
    std::string unknown;
    for (const auto& [key, value] : values_) {
      if (used_.count(key) == 0) unknown += (unknown.empty() ? "'" : ", '") + key + "'";
    }
    if (unknown.empty()) return;
    std::string known;
    for (const auto& key : used_) known += (known.empty() ? "" : ", ") + key;
    throw ParamError("unknown parameter " + unknown + " (accepted: " + (known.empty() ? "none" : known) + ")");
  }

 private:
  const std::string& raw(const std::string& key) const {
    used_.insert(key);
    const auto it = values_.find(key);
    if (it == values_.end()) throw ParamError("missing parameter '" + key + "'");
    return it->second;
  }

  static std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
  }

  // A value in double quotes: the host passes TOML strings that way.
  static bool is_quoted(std::string_view text) { return text.size() >= 2 && text.front() == '"' && text.back() == '"'; }

  static double parse_number(const std::string& key, std::string_view text) {
    const std::string s(trim(text));
    if (is_quoted(s)) throw ParamError("parameter '" + key + "' must be a number, got the string " + s);
    char* end = nullptr;
    errno = 0;
    const double value = std::strtod(s.c_str(), &end);
    const bool whole = !s.empty() && end == s.c_str() + s.size();
    // Overflow gives +-HUGE_VAL and ERANGE. Underflow sets ERANGE too, but its
    // result (a subnormal, or 0) is finite and the nearest double: accepted.
    if (whole && errno == ERANGE && std::isinf(value)) {
      throw ParamError("parameter '" + key + "' = " + s +
                       " is out of range for a number (largest magnitude about 1.8e308)");
    }
    if (!whole || !std::isfinite(value)) {
      throw ParamError("parameter '" + key + "' must be a finite number, got '" + s + "'");
    }
    return value;
  }

  static std::string_view unbracket(const std::string& key, std::string_view text) {
    text = trim(text);
    if (is_quoted(text)) {
      throw ParamError("parameter '" + key + "' must be a list like [1, 2], got the string " + std::string(text));
    }
    if (text.size() < 2 || text.front() != '[' || text.back() != ']') {
      throw ParamError("parameter '" + key + "' must be a list like [1, 2], got '" + std::string(text) + "'");
    }
    return text.substr(1, text.size() - 2);
  }

  // Splits on commas that are not inside brackets; an empty list gives none.
  static std::vector<std::string_view> split_top_level(const std::string& key, std::string_view text) {
    std::vector<std::string_view> items;
    if (trim(text).empty()) return items;
    int depth = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
      const char c = i < text.size() ? text[i] : ',';
      if (c == '[') ++depth;
      if (c == ']') --depth;
      if (depth < 0) throw ParamError("parameter '" + key + "' has unbalanced brackets");
      if (c == ',' && depth == 0) {
        items.push_back(trim(text.substr(start, i - start)));
        start = i + 1;
      }
    }
    if (depth != 0) throw ParamError("parameter '" + key + "' has unbalanced brackets");
    return items;
  }

  std::map<std::string, std::string> values_;
  mutable std::set<std::string> used_;
};

}  // namespace attnlab
