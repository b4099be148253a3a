// The call board compare's supervisor reads (call_monitor.hpp): marks land
// on the bound slot only, and cost nothing without a board.
#include <attnlab/framework/common/call_monitor.hpp>

#include <catch2/catch.hpp>

#include <memory>

#include <unistd.h>

using attnlab::CallBoard;
using attnlab::CallSlotBinding;
using attnlab::PluginCall;
using attnlab::PluginCallMark;
using attnlab::PluginRole;

namespace {

// Installs a board for one test, and removes it after.
struct BoardInstalled {
  BoardInstalled() : board(std::make_unique<CallBoard>()) {
    board->slot_count = 3;
    attnlab::set_call_board(board.get());
  }
  ~BoardInstalled() { attnlab::set_call_board(nullptr); }
  std::unique_ptr<CallBoard> board;
};

}  // namespace

TEST_CASE("without a board, marking a call does nothing", "[call-monitor]") {
  REQUIRE(attnlab::call_board() == nullptr);
  const CallSlotBinding binding(0, 7);
  const PluginCallMark mark(PluginCall::Forward, PluginRole::Activation);
  CHECK(attnlab::run_pid() == static_cast<int>(::getpid()));
}

TEST_CASE("a call is marked on the thread's bound slot while it runs", "[call-monitor]") {
  BoardInstalled installed;
  CallBoard& board = *installed.board;
  {
    const PluginCallMark unbound(PluginCall::Sample, PluginRole::DataModel);
    CHECK(board.slots[0].call.load() == 0);  // no slot bound: nothing marked
  }
  {
    const CallSlotBinding binding(1, 42);
    const PluginCallMark mark(PluginCall::Backward, PluginRole::Activation);
    CHECK(board.slots[1].call.load() == static_cast<std::uint32_t>(PluginCall::Backward));
    CHECK(board.slots[1].role.load() == static_cast<std::uint32_t>(PluginRole::Activation));
    CHECK(board.slots[1].step.load() == 42);
    CHECK(board.slots[1].calls.load() == 1);
    CHECK(board.slots[0].call.load() == 0);
  }
  CHECK(board.slots[1].call.load() == 0);
  {
    // Nested bindings restore the outer one.
    const CallSlotBinding outer(2, 5);
    { const CallSlotBinding inner(0, 6); }
    const PluginCallMark mark(PluginCall::Step, PluginRole::Optimizer);
    CHECK(board.slots[2].call.load() == static_cast<std::uint32_t>(PluginCall::Step));
    CHECK(board.slots[2].step.load() == 5);
  }
  // A slot past slot_count is never bound.
  {
    const CallSlotBinding binding(3, 1);
    const PluginCallMark mark(PluginCall::Forward, PluginRole::Activation);
    CHECK(board.slots[3].call.load() == 0);
  }
}

TEST_CASE("every 64th call is timed for the median", "[call-monitor]") {
  BoardInstalled installed;
  const CallSlotBinding binding(0, 0);
  for (int i = 0; i < 128; ++i) const PluginCallMark mark(PluginCall::Forward, PluginRole::Activation);
  std::uint64_t timed = 0;
  for (const auto& count : installed.board->slots[0].durations) timed += count.load();
  CHECK(installed.board->slots[0].calls.load() == 128);
  CHECK(timed == 2);
}

TEST_CASE("the run's PID is the supervisor's when there is one", "[call-monitor]") {
  BoardInstalled installed;
  installed.board->supervisor_pid = 12345;
  CHECK(attnlab::run_pid() == 12345);
}
