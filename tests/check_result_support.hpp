// Helpers for tests of the plugin checkers: names of the checks that ran or
// failed, one result by name, and numbers read back from a detail string.
#pragma once

#include <attnlab/framework/checks/check_result.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
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
  // strtod, not <regex>: GCC 12 warns inside libstdc++'s regex under the sanitizers.
  const char* start = detail.c_str() + at + label.size();
  char* end = nullptr;
  const double value = std::strtod(start, &end);
  REQUIRE(end != start);
  return value;
}

}  // namespace attnlab::test
