// The outcome of one conformance check of `attnlab check-plugin`, shared by
// the checkers of every plugin kind.
#pragma once

#include <string>

namespace attnlab {

struct CheckResult {
  std::string name;
  bool passed = false;
  std::string detail;  // what was measured, e.g. "max |sum-1| = 2.2e-16 (bound 1e-10)"
};

}  // namespace attnlab
