// A fixed set of worker threads that run one task per model, step after
// step. Model i always runs on worker i % threads, and models never share
// data they write, so results do not depend on the thread count.
#pragma once

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

  // Calls task(i) for i in [0, count) and returns when all are done. The
  // calling thread does worker 0's share. `task` must not throw.
  void run(std::uint32_t count, const std::function<void(std::uint32_t)>& task);

 private:
  void worker_loop(std::uint32_t worker);

  std::uint32_t threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_;
  std::condition_variable done_;
  const std::function<void(std::uint32_t)>* task_ = nullptr;
  std::uint32_t count_ = 0;
  std::uint64_t generation_ = 0;
  std::uint32_t pending_ = 0;
  bool stopping_ = false;
};

}  // namespace attnlab
