// Which plugin call is in flight, for a supervising process to read after
// the trainer dies (compare's plugin isolation, docs/ARCHITECTURE.md).
//
// A CallBoard is a plain block of memory the supervisor maps shared
// (MAP_SHARED | MAP_ANONYMOUS) before it forks the trainer. The trainer binds
// each of its threads to a slot (one per model, one for the data stream)
// around the work it does for that model; the hosting layer marks every
// plugin call on the bound slot (which call, its start time) and unmarks it
// when the call returns. Without a board, or on an unbound thread, marking
// does nothing, so other commands pay nothing for it.
//
// A fatal signal in the trainer records the slot of the thread it hit and
// the signal before the process dies of it (install_crash_recorder()).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace attnlab {

enum class PluginCall : std::uint32_t {
  None = 0,
  Create,
  Forward,
  Backward,
  Step,
  Sample,
  BayesPrediction,
  BayesRiskSamples,
  LimitSample
};

// "create", "forward", ...
const char* plugin_call_name(PluginCall call);

// Whose call it is.
enum class PluginRole : std::uint32_t { Activation = 0, DataModel, Optimizer };

struct CallSlot {
  std::atomic<std::uint32_t> call{0};        // PluginCall in flight, 0: none
  std::atomic<std::uint32_t> role{0};        // PluginRole of that call
  std::atomic<std::uint64_t> step{0};        // the training step it serves
  std::atomic<std::uint64_t> calls{0};       // calls started (the supervisor times a call by it)
  std::atomic<std::uint64_t> durations[48];  // every 64th call by duration, bucket k: [2^k, 2^(k+1)) ns
  char model[128];                           // the model's activation id; "" for the data slot
};

struct CallBoard {
  static constexpr std::size_t kMaxSlots = 129;  // up to 128 models and the data stream
  std::atomic<std::int32_t> crashed_slot{-1};    // set by the crash recorder
  std::atomic<std::int32_t> crash_signal{0};
  std::uint32_t slot_count = 0;
  std::int32_t supervisor_pid = 0;  // the process the user started
  char data_plugin[128];
  char optimizer_plugin[128];
  char top_folder[4096];  // the results folder of the command (given to --out)
  char run_folder[4096];  // the folder of the comparison running now (a seed's, with --seeds)
  CallSlot slots[kMaxSlots];
};

// Copies `text` into a fixed field, cut to fit, NUL-terminated.
template <std::size_t N>
void set_board_text(char (&field)[N], const std::string& text) {
  const std::size_t n = text.size() < N - 1 ? text.size() : N - 1;
  for (std::size_t i = 0; i < n; ++i) field[i] = text[i];
  field[n] = '\0';
}

// The board of this process, or null (no supervisor).
CallBoard* call_board();
void set_call_board(CallBoard* board);

// The PID to name this run by (in a folder lock's record): the supervisor's
// when there is one, which is the process the user started and can signal.
int run_pid();

// The steady clock in nanoseconds (CLOCK_MONOTONIC: the same in every process).
std::int64_t monotonic_ns();

// Binds the calling thread to slot `slot` for `step` while it lives; restores
// the previous binding after. Does nothing without a board.
class CallSlotBinding {
 public:
  CallSlotBinding(std::uint32_t slot, std::uint64_t step);
  ~CallSlotBinding();
  CallSlotBinding(const CallSlotBinding&) = delete;
  CallSlotBinding& operator=(const CallSlotBinding&) = delete;

 private:
  int previous_slot_;
  std::uint64_t previous_step_;
};

// Marks one plugin call on the thread's bound slot while it lives: a few
// relaxed stores; every 64th call also reads the clock twice, for the
// supervisor's median call time.
class PluginCallMark {
 public:
  PluginCallMark(PluginCall call, PluginRole role);
  ~PluginCallMark();
  PluginCallMark(const PluginCallMark&) = delete;
  PluginCallMark& operator=(const PluginCallMark&) = delete;

 private:
  CallSlot* slot_ = nullptr;
  std::int64_t started_ = 0;  // for every 64th call only, 0 otherwise
};

// Records, on a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT,
// SIGTRAP, SIGSYS), the slot of the thread it hit into the board, then lets
// the process die of it as it would have.
void install_crash_recorder();

}  // namespace attnlab
