// A fixed set of worker threads that run batches of independent tasks: the
// training pipeline (one long task per thread, step_pipeline.hpp) and the
// evaluation of every model at a log point (one task per model). Threads
// take the next unclaimed task until none is left, so uneven tasks balance
// out; tasks never share data they write, so results do not depend on which
// thread ran what, nor on the thread count. Idle threads poll briefly before
// they sleep (spin_wait.hpp).
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
