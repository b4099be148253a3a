#include <attnlab/framework/lockstep_pool.hpp>

namespace attnlab {

LockstepPool::LockstepPool(std::uint32_t threads) : threads_(threads == 0 ? 1 : threads) {
  for (std::uint32_t w = 1; w < threads_; ++w) workers_.emplace_back([this, w] { worker_loop(w); });
}

LockstepPool::~LockstepPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  start_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void LockstepPool::run(std::uint32_t count, const std::function<void(std::uint32_t)>& task) {
  if (threads_ == 1 || count <= 1) {
    for (std::uint32_t i = 0; i < count; ++i) task(i);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    task_ = &task;
    count_ = count;
    pending_ = threads_ - 1;
    ++generation_;
  }
  start_.notify_all();
  for (std::uint32_t i = 0; i < count; i += threads_) task(i);
  std::unique_lock lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
}

void LockstepPool::worker_loop(std::uint32_t worker) {
  std::uint64_t seen = 0;
  while (true) {
    std::unique_lock lock(mutex_);
    start_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_;
    const auto* task = task_;
    const std::uint32_t count = count_;
    lock.unlock();
    for (std::uint32_t i = worker; i < count; i += threads_) (*task)(i);
    lock.lock();
    if (--pending_ == 0) done_.notify_one();
  }
}

}  // namespace attnlab
