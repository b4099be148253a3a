// The worker pool that trains the compared models side by side.
#include <attnlab/framework/training/lockstep_pool.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

using attnlab::LockstepPool;

TEST_CASE("every task runs exactly once per run, whatever the thread and task counts", "[pool]") {
  for (std::uint32_t threads = 1; threads <= 4; ++threads) {
    LockstepPool pool(threads);
    for (std::uint32_t count = 0; count <= 9; ++count) {
      // Many runs in a row: a worker that missed a generation or ran one
      // twice would leave a count other than the number of runs.
      std::vector<std::atomic<int>> runs(count);
      constexpr int kRounds = 200;
      for (int round = 0; round < kRounds; ++round) {
        pool.run(count, [&](std::uint32_t i) { runs[i].fetch_add(1, std::memory_order_relaxed); });
      }
      for (std::uint32_t i = 0; i < count; ++i) {
        INFO("threads " << threads << ", tasks " << count << ", task " << i);
        CHECK(runs[i].load() == kRounds);
      }
    }
  }
}

TEST_CASE("run returns only when every task's writes are done", "[pool]") {
  LockstepPool pool(3);
  std::vector<long> values(8, 0);
  for (long round = 1; round <= 500; ++round) {
    pool.run(8, [&](std::uint32_t i) { values[i] += static_cast<long>(i) + 1; });
    for (std::size_t i = 0; i < values.size(); ++i) REQUIRE(values[i] == round * static_cast<long>(i + 1));
  }
}

TEST_CASE("uneven tasks are shared: a long task does not hold back the others", "[pool]") {
  // Task 0 sleeps; with two threads and dynamic claiming the other thread
  // runs all the rest meanwhile. With a fixed assignment (i % threads) the
  // sleeping thread would also have to run tasks 2, 4, ...
  LockstepPool pool(2);
  std::atomic<bool> long_task_started{false};
  std::atomic<bool> long_task_running{false};
  std::atomic<int> run_during_long_task{0};
  pool.run(7, [&](std::uint32_t i) {
    if (i == 0) {
      long_task_running = true;
      long_task_started = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      long_task_running = false;
    } else {
      // Task 0 is claimed first; wait until it has really begun.
      while (!long_task_started) std::this_thread::yield();
      if (long_task_running) ++run_during_long_task;
    }
  });
  CHECK(run_during_long_task.load() == 6);
}
