// run_isolated: work in a forked child comes back as its answer, its
// exception's message, the signal that killed it, or a time-out.
#include "common/child_process.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

#include <unistd.h>

using attnlab::IsolatedOutcome;
using attnlab::run_isolated;

TEST_CASE("run_isolated returns the child's answer, long ones too", "[isolation]") {
  const std::string big(1 << 20, 'x');
  const auto outcome = run_isolated([&] { return big; }, 10);
  CHECK(outcome.status == IsolatedOutcome::Status::Answered);
  CHECK(outcome.answer == big);
}

TEST_CASE("run_isolated reports an exception's message", "[isolation]") {
  const auto outcome = run_isolated([]() -> std::string { throw std::runtime_error("no luck"); }, 10);
  CHECK(outcome.status == IsolatedOutcome::Status::Threw);
  CHECK(outcome.failure() == "no luck");
}

TEST_CASE("run_isolated reports a crash by its signal, and an exit without an answer", "[isolation]") {
  const auto segv = run_isolated(
      []() -> std::string {
        std::raise(SIGSEGV);
        return "survived";
      },
      10);
  CHECK(segv.status == IsolatedOutcome::Status::Crashed);
  CHECK(segv.failure() == "crashed (SIGSEGV)");
  const auto abort = run_isolated([]() -> std::string { std::abort(); }, 10);
  CHECK(abort.failure() == "crashed (SIGABRT)");
  const auto exited = run_isolated([]() -> std::string { ::_exit(3); }, 10);
  CHECK(exited.status == IsolatedOutcome::Status::Crashed);
  CHECK(exited.failure() == "crashed (exit status 3 without an answer)");
}

TEST_CASE("run_isolated kills a child that does not answer in time", "[isolation]") {
  const auto start = std::chrono::steady_clock::now();
  const auto outcome = run_isolated(
      []() -> std::string {
        for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      },
      0.3);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(outcome.status == IsolatedOutcome::Status::TimedOut);
  CHECK(outcome.failure() == "hung (no answer in 0.3 s)");
  CHECK(seconds < 5.0);
}
