// Pieces shared by the plugin checkers of `attnlab check-plugin`: number
// formatting, guarded buffers that catch writes outside their bounds, and the
// list that turns each check's outcome (a detail or an exception) into a
// CheckResult. Internal to the framework library.
#pragma once

#include <attnlab/framework/checks/check_result.hpp>
#include <attnlab/framework/hosting/plugin_library.hpp>

#include "common/child_process.hpp"
#include "hosting/create_failure.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace attnlab::check {

// A quiet NaN with a recognisable payload: an entry still holding it was
// never written, and a changed guard entry was written out of bounds.
inline constexpr std::uint64_t kPoisonBits = 0x7ff8deadbeef0002ull;
inline constexpr std::size_t kGuard = 64;  // guard doubles on each side

inline double poison() {
  return std::bit_cast<double>(kPoisonBits);
}

inline bool is_poison(double x) {
  return std::bit_cast<std::uint64_t>(x) == kPoisonBits;
}

// "%.2e": the precision every checker detail uses.
inline std::string sci(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2e", value);
  return text;
}

// "%.2f", for z-scores and ratios of order one.
inline std::string fixed(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", value);
  return text;
}

// Text a plugin wrote into an error buffer, up to the first NUL.
inline std::string plugin_message(const std::string& buffer) {
  const std::string text(buffer.c_str());
  return text.empty() ? "(the plugin gave no message)" : text;
}

inline bool same_bits(std::span<const double> x, std::span<const double> y) {
  return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin(), [](double p, double q) {
           return std::bit_cast<std::uint64_t>(p) == std::bit_cast<std::uint64_t>(q);
         });
}

// Thrown by a check to fail with a specific message.
class CheckFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `size` doubles between two guard regions of poison. The content starts as
// poison too unless a fill value is given.
class GuardedBuffer {
 public:
  explicit GuardedBuffer(std::size_t size) : size_(size), data_(size + 2 * kGuard, poison()) {}
  GuardedBuffer(std::size_t size, double fill) : GuardedBuffer(size) { std::fill_n(data(), size_, fill); }

  double* data() { return data_.data() + kGuard; }
  const double* data() const { return data_.data() + kGuard; }
  std::size_t size() const { return size_; }
  std::span<double> span() { return {data(), size_}; }
  std::span<const double> view() const { return {data(), size_}; }

  // Guard entries that were overwritten, before and after the content.
  std::size_t written_before() const { return changed(0); }
  std::size_t written_after() const { return changed(kGuard + size_); }
  // Content entries that still hold the poison (never written).
  std::size_t unwritten() const {
    return static_cast<std::size_t>(std::count_if(view().begin(), view().end(), is_poison));
  }

 private:
  std::size_t changed(std::size_t first) const {
    const auto begin = data_.begin() + static_cast<std::ptrdiff_t>(first);
    return static_cast<std::size_t>(std::count_if(begin, begin + kGuard, [](double x) { return !is_poison(x); }));
  }

  std::size_t size_;
  std::vector<double> data_;
};

// One instance made through the plugin's C table (`Table` is its kind's
// table), without the host wrapper, so that its buffers can carry guard
// regions. Destroyed with this object.
template <class Table>
class RawInstance {
 public:
  RawInstance(const PluginLibrary& plugin, const std::string& params)
      : plugin_(plugin), table_(plugin.table<Table>()), error_(kErrorCapacity, '\0') {
    if (const attnlab_status status = table_.create(params.c_str(), &instance_, error()); status != ATTNLAB_OK) {
      instance_ = nullptr;
      throw CheckFailure(create_failure(plugin_, status, plugin_message(error_)));
    }
    if (instance_ == nullptr) throw CheckFailure(plugin_.label() + ": create returned no instance");
  }
  ~RawInstance() {
    if (instance_ != nullptr) table_.destroy(instance_);
  }
  RawInstance(const RawInstance&) = delete;
  RawInstance& operator=(const RawInstance&) = delete;

  const Table& table() const { return table_; }
  void* get() const { return instance_; }
  // A cleared error buffer for the next call.
  attnlab_error_buffer error() {
    error_[0] = '\0';
    return {error_.data(), error_.size()};
  }
  void require_ok(attnlab_status status, const std::string& operation) const {
    if (status != ATTNLAB_OK) {
      throw CheckFailure(plugin_.label() + ": " + operation + " failed: " + plugin_message(error_));
    }
  }

 private:
  static constexpr std::size_t kErrorCapacity = 1024;
  const PluginLibrary& plugin_;
  const Table& table_;
  void* instance_ = nullptr;
  std::string error_;
};

// "" when nothing was written outside `buffer`, else e.g. "1 double past the
// end of the tokens buffer".
inline std::string outside_writes(const GuardedBuffer& buffer, const std::string& name) {
  const auto doubles = [](std::size_t n) { return std::to_string(n) + (n == 1 ? " double" : " doubles"); };
  const std::size_t before = buffer.written_before();
  const std::size_t after = buffer.written_after();
  if (before == 0 && after == 0) return "";
  if (after == 0) return doubles(before) + " before the " + name + " buffer";
  if (before == 0) return doubles(after) + " past the end of the " + name + " buffer";
  return doubles(before) + " before and " + doubles(after) + " past the end of the " + name + " buffer";
}

// Results in the order the checks ran; a check passes with the detail it
// returns and fails with the message of whatever it throws. Each check runs
// in a child process of its own (run_isolated) with a time limit, so a plugin
// that crashes or hangs fails that check ("crashed (SIGSEGV)", "hung (no
// answer in 60 s)") and the others still run. A check therefore changes
// nothing in the checker's own process: what later checks must know (e.g.
// that the plugin writes out of bounds) travels back through carry().
class CheckList {
 public:
  explicit CheckList(double timeout_seconds) : timeout_(timeout_seconds) {}

  // `save` runs in the child after every check, `load` in this process with
  // the text it returned.
  void carry(std::function<std::string()> save, std::function<void(const std::string&)> load) {
    save_ = std::move(save);
    load_ = std::move(load);
  }

  void run(const std::string& name, const std::function<std::string()>& check) {
    const IsolatedOutcome outcome = run_isolated(
        [&] {
          std::string detail;
          bool passed = false;
          try {
            detail = check();
            passed = true;
          } catch (const std::exception& e) {
            detail = e.what();
          }
          const std::string state = save_ ? save_() : std::string();
          return std::string(passed ? "P" : "F") + std::to_string(detail.size()) + ":" + detail + state;
        },
        timeout_);
    if (!outcome.answered()) {
      results_.push_back({name, false, outcome.failure()});
      return;
    }
    const std::string& answer = outcome.answer;
    const std::size_t colon = answer.find(':');
    const std::size_t size = std::stoul(answer.substr(1, colon - 1));
    results_.push_back({name, answer[0] == 'P', answer.substr(colon + 1, size)});
    if (load_) load_(answer.substr(colon + 1 + size));
  }

  void fail(const std::string& name, const std::string& detail) { results_.push_back({name, false, detail}); }

  // Makes one instance in a child process (`make` throws when it cannot)
  // and returns what `make` says about it; when that fails, records a failed
  // "create" check and returns nothing. The checks then make their own
  // instances, each in its own child.
  std::optional<std::string> create(const std::function<std::string()>& make) {
    const IsolatedOutcome outcome = run_isolated(make, timeout_);
    if (outcome.answered()) return outcome.answer;
    fail("create", outcome.failure());
    return std::nullopt;
  }

  bool last_passed() const { return !results_.empty() && results_.back().passed; }
  std::vector<CheckResult> take() { return std::move(results_); }

 private:
  double timeout_;
  std::function<std::string()> save_;
  std::function<void(const std::string&)> load_;
  std::vector<CheckResult> results_;
};

}  // namespace attnlab::check
