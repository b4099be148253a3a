// Helpers for tests of the plugin checkers: names of the checks that ran or
// failed, one result by name, and numbers read back from a detail string.
#pragma once

#include <attnlab/framework/check_result.hpp>

#include <catch2/catch.hpp>

#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnlab::test {

inline std::vector<std::string> check_names(const std::vector<CheckResult>& results) {
  std::vector<std::string> out;
  for (const auto& r : results) out.push_back(r.name);
  return out;
}

inline std::vector<std::string> failed_checks(const std::vector<CheckResult>& results) {
  std::vector<std::string> out;
  for (const auto& r : results) {
    if (!r.passed) out.push_back(r.name);
  }
  return out;
}

inline const CheckResult& check_result(const std::vector<CheckResult>& results, const std::string& name) {
  for (const auto& r : results) {
    if (r.name == name) return r;
  }
  FAIL("no check named " << name);
  throw std::logic_error("unreachable");
}

// The number that follows `label` in `detail`, e.g. number_after(d, "z = ").
inline double number_after(const std::string& detail, const std::string& label) {
  const auto at = detail.find(label);
  INFO("'" << label << "' in: " << detail);
  REQUIRE(at != std::string::npos);
  std::smatch match;
  const std::string rest = detail.substr(at + label.size());
  REQUIRE(std::regex_search(rest, match, std::regex("^-?[0-9.]+(e[-+][0-9]+)?")));
  return std::stod(match[0]);
}

}  // namespace attnlab::test
