#include <attnlab/framework/common/call_monitor.hpp>

#include <unistd.h>
#include <algorithm>
#include <bit>

#include <csignal>
#include <ctime>

namespace attnlab {
namespace {

CallBoard* board = nullptr;
// The slot this thread works for (-1: none) and the step it serves.
thread_local int bound_slot = -1;
thread_local std::uint64_t bound_step = 0;

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS};

void record_crash(int signal) {
  if (board != nullptr) {
    board->crashed_slot.store(bound_slot, std::memory_order_relaxed);
    board->crash_signal.store(signal, std::memory_order_relaxed);
  }
  // SA_RESETHAND restored the default action and SA_NODEFER leaves the
  // signal unblocked: raising it again ends the process as it would have.
  std::raise(signal);
}

}  // namespace

const char* plugin_call_name(PluginCall call) {
  switch (call) {
    case PluginCall::Create:
      return "create";
    case PluginCall::Forward:
      return "forward";
    case PluginCall::Backward:
      return "backward";
    case PluginCall::Step:
      return "step";
    case PluginCall::Sample:
      return "sample";
    case PluginCall::BayesPrediction:
      return "bayes_prediction";
    case PluginCall::BayesRiskSamples:
      return "bayes_risk_samples";
    case PluginCall::LimitSample:
      return "limit_sample";
    case PluginCall::None:
      break;
  }
  return "none";
}

CallBoard* call_board() {
  return board;
}

void set_call_board(CallBoard* new_board) {
  board = new_board;
}

int run_pid() {
  return board != nullptr && board->supervisor_pid != 0 ? board->supervisor_pid : static_cast<int>(::getpid());
}

std::int64_t monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

CallSlotBinding::CallSlotBinding(std::uint32_t slot, std::uint64_t step)
    : previous_slot_(bound_slot), previous_step_(bound_step) {
  if (board == nullptr || slot >= board->slot_count) return;
  bound_slot = static_cast<int>(slot);
  bound_step = step;
}

CallSlotBinding::~CallSlotBinding() {
  bound_slot = previous_slot_;
  bound_step = previous_step_;
}

PluginCallMark::PluginCallMark(PluginCall call, PluginRole role) {
  if (board == nullptr || bound_slot < 0) return;
  slot_ = &board->slots[bound_slot];
  // One thread at a time works for a slot: a load and a store, no locked add.
  const std::uint64_t number = slot_->calls.load(std::memory_order_relaxed) + 1;
  slot_->calls.store(number, std::memory_order_relaxed);
  slot_->step.store(bound_step, std::memory_order_relaxed);
  slot_->role.store(static_cast<std::uint32_t>(role), std::memory_order_relaxed);
  slot_->call.store(static_cast<std::uint32_t>(call), std::memory_order_release);
  if (number % 64 == 0) started_ = monotonic_ns();
}

PluginCallMark::~PluginCallMark() {
  if (slot_ == nullptr) return;
  slot_->call.store(0, std::memory_order_release);
  if (started_ == 0) return;
  const auto elapsed = static_cast<std::uint64_t>(monotonic_ns() - started_);
  const int bucket = std::min(std::max(static_cast<int>(std::bit_width(elapsed)) - 1, 0), 47);
  auto& count = slot_->durations[bucket];
  count.store(count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void install_crash_recorder() {
  struct sigaction action {};
  action.sa_handler = record_crash;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND | SA_NODEFER;
  for (const int signal : kFatalSignals) sigaction(signal, &action, nullptr);
}

}  // namespace attnlab
