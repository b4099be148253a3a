// A fixed set of worker threads that run a batch of independent tasks, step
// after step (one task per model, plus the next step's data). Threads take
// the next unclaimed task until none is left, so uneven tasks balance out;
// tasks never share data they write, so results do not depend on which
// thread ran what, nor on the thread count.
//
// A training step can take well under 100 microseconds, about the cost of
// waking a sleeping thread, so threads spin briefly for the next step (or
// for the end of this one) before they sleep.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace attnlab {

class LockstepPool {
 public:
  explicit LockstepPool(std::uint32_t threads);
  ~LockstepPool();
  LockstepPool(const LockstepPool&) = delete;
  LockstepPool& operator=(const LockstepPool&) = delete;

  std::uint32_t threads() const { return threads_; }

  // Calls task(i) for i in [0, count), lower i first, and returns when all
  // are done. The calling thread takes tasks too. `task` must not throw.
  void run(std::uint32_t count, const std::function<void(std::uint32_t)>& task);

 private:
  void worker_loop();
  void take_tasks(const std::function<void(std::uint32_t)>& task, std::uint32_t count);

  std::uint32_t threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;  // for sleeping only; the hand-over itself is atomic
  std::condition_variable start_;
  std::condition_variable done_;
  const std::function<void(std::uint32_t)>* task_ = nullptr;
  std::uint32_t count_ = 0;
  std::atomic<std::uint32_t> next_task_{0};
  std::atomic<std::uint64_t> generation_{0};  // one per run(); publishes task_ and count_
  std::atomic<std::uint32_t> pending_{0};     // workers still on this generation
  std::atomic<bool> stopping_{false};
};

}  // namespace attnlab
