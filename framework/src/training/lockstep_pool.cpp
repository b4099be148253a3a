#include <attnlab/framework/training/lockstep_pool.hpp>

#include "training/spin_wait.hpp"

namespace attnlab {

LockstepPool::LockstepPool(std::uint32_t threads) : threads_(threads == 0 ? 1 : threads) {
  for (std::uint32_t w = 1; w < threads_; ++w) workers_.emplace_back([this] { worker_loop(); });
}

LockstepPool::~LockstepPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_.store(true, std::memory_order_release);
  }
  start_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void LockstepPool::take_tasks(const std::function<void(std::uint32_t)>& task, std::uint32_t count) {
  for (std::uint32_t i = next_task_.fetch_add(1, std::memory_order_relaxed); i < count;
       i = next_task_.fetch_add(1, std::memory_order_relaxed)) {
    task(i);
  }
}

void LockstepPool::run(std::uint32_t count, const std::function<void(std::uint32_t)>& task) {
  if (threads_ == 1 || count <= 1) {
    for (std::uint32_t i = 0; i < count; ++i) task(i);
    return;
  }
  task_ = &task;
  count_ = count;
  next_task_.store(0, std::memory_order_relaxed);
  pending_.store(threads_ - 1, std::memory_order_relaxed);
  {
    // Under the mutex, so that a worker between its check and its sleep
    // cannot miss the notification.
    std::lock_guard lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  start_.notify_all();
  take_tasks(task, count);
  // Acquire pairs with the workers' release: their tasks' writes are visible.
  const auto finished = [this] { return pending_.load(std::memory_order_acquire) == 0; };
  if (spin_until(finished)) return;
  std::unique_lock lock(mutex_);
  done_.wait(lock, finished);
}

void LockstepPool::worker_loop() {
  std::uint64_t seen = 0;
  while (true) {
    const auto started = [&] {
      return stopping_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen;
    };
    if (!spin_until(started)) {
      std::unique_lock lock(mutex_);
      start_.wait(lock, started);
    }
    if (stopping_.load(std::memory_order_acquire)) return;
    seen = generation_.load(std::memory_order_acquire);
    take_tasks(*task_, count_);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard lock(mutex_);
      done_.notify_one();
    }
  }
}

}  // namespace attnlab
