#include <attnlab/framework/training/step_pipeline.hpp>

#include "training/spin_wait.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace attnlab {
namespace {

// What is done and what is running, under one mutex. Pieces of work last
// tens of microseconds or more, so the lock is cheap next to them.
class PipelineState {
 public:
  PipelineState(std::uint32_t models, std::uint32_t slots, std::uint64_t first, std::uint64_t last)
      : slots_(slots), last_(last), drawn_(first), next_step_(models, first), busy_(models, false) {}

  struct Piece {
    enum class Kind { Draw, Train, Finished } kind = Kind::Finished;
    std::uint32_t model = 0;
    std::uint64_t step = 0;
  };

  // Blocks until a piece can start (and claims it) or everything is done.
  Piece next() {
    std::unique_lock lock(mutex_);
    while (true) {
      if (failed_ || all_trained()) return {};
      // The producer first: batches drawn early keep every consumer busy.
      if (!drawing_ && drawn_ < last_ && drawn_ < slowest() + slots_) {
        drawing_ = true;
        return {Piece::Kind::Draw, 0, drawn_};
      }
      // Then the model furthest behind, so that slots free up soonest.
      std::uint32_t chosen = 0;
      bool found = false;
      for (std::uint32_t m = 0; m < next_step_.size(); ++m) {
        if (busy_[m] || next_step_[m] >= drawn_ || next_step_[m] >= last_) continue;
        if (!found || next_step_[m] < next_step_[chosen]) chosen = m;
        found = true;
      }
      if (found) {
        busy_[chosen] = true;
        return {Piece::Kind::Train, chosen, next_step_[chosen]};
      }
      wait_for_change(lock);
    }
  }

  void finish(const Piece& piece) {
    std::unique_lock lock(mutex_);
    if (piece.kind == Piece::Kind::Draw) {
      drawing_ = false;
      ++drawn_;
    } else {
      busy_[piece.model] = false;
      ++next_step_[piece.model];
    }
    announce_change(lock);
  }

  void fail(std::exception_ptr error) {
    std::unique_lock lock(mutex_);
    if (!error_) error_ = error;
    failed_ = true;
    drawing_ = false;
    announce_change(lock);
  }

  // No more draws: the models finish what has been drawn (and the draw
  // under way, if any).
  void stop_drawing() {
    std::unique_lock lock(mutex_);
    last_ = std::min(last_, drawn_ + (drawing_ ? 1 : 0));
    announce_change(lock);
  }

  std::uint64_t last() {
    std::lock_guard lock(mutex_);
    return last_;
  }

  std::uint64_t steps_done() {
    std::lock_guard lock(mutex_);
    return slowest();
  }

  std::exception_ptr error() {
    std::lock_guard lock(mutex_);
    return error_;
  }

 private:
  // Polls for a change briefly before sleeping (spin_wait.hpp). `lock` is
  // held on entry and on return.
  void wait_for_change(std::unique_lock<std::mutex>& lock) {
    const std::uint64_t seen = version_.load(std::memory_order_relaxed);
    lock.unlock();
    spin_until([&] { return version_.load(std::memory_order_acquire) != seen; });
    lock.lock();
    if (version_.load(std::memory_order_relaxed) != seen) return;
    ++sleepers_;
    changed_.wait(lock, [&] { return version_.load(std::memory_order_relaxed) != seen; });
    --sleepers_;
  }

  void announce_change(std::unique_lock<std::mutex>& lock) {
    version_.fetch_add(1, std::memory_order_release);
    const bool wake = sleepers_ > 0;
    lock.unlock();
    if (wake) changed_.notify_all();
  }

  std::uint64_t slowest() const { return *std::min_element(next_step_.begin(), next_step_.end()); }
  bool all_trained() const { return slowest() >= last_; }

  std::mutex mutex_;
  std::condition_variable changed_;
  const std::uint32_t slots_;
  std::uint64_t last_;                    // lowered by stop_drawing()
  std::uint64_t drawn_;                   // batches of steps < drawn_ are in their slots
  bool drawing_ = false;                  // the producer is running
  std::vector<std::uint64_t> next_step_;  // per model: the next step to train
  std::vector<bool> busy_;                // per model: a step is running
  bool failed_ = false;
  std::exception_ptr error_;
  std::atomic<std::uint64_t> version_{0};  // bumped by every finish and fail
  std::uint32_t sleepers_ = 0;             // threads waiting on changed_
};

}  // namespace

std::uint64_t run_step_pipeline(LockstepPool& pool, std::uint32_t models, std::uint32_t slots, std::uint64_t first,
                                std::uint64_t last, const StepPipelineWork& work) {
  if (first >= last || models == 0) return std::max(first, last);
  if (work.stop_requested && work.stop_requested()) return first;
  const std::uint32_t ring = std::max<std::uint32_t>(slots, 1);
  PipelineState state(models, ring, first, last);
  const std::thread::id caller = std::this_thread::get_id();
  // One long-running task per thread, each taking pieces until none is left.
  pool.run(pool.threads(), [&](std::uint32_t) {
    const bool on_caller = std::this_thread::get_id() == caller;
    while (true) {
      const auto piece = state.next();
      if (piece.kind == PipelineState::Piece::Kind::Finished) return;
      const auto slot = static_cast<std::uint32_t>(piece.step % ring);
      if (piece.kind == PipelineState::Piece::Kind::Draw) {
        try {
          work.draw(piece.step, slot);
        } catch (...) {
          state.fail(std::current_exception());
          return;
        }
      } else {
        work.train(piece.model, piece.step, slot);
      }
      state.finish(piece);
      if (work.stop_requested && work.stop_requested()) state.stop_drawing();
      if (on_caller && work.progress) work.progress(state.steps_done());
    }
  });
  if (const auto error = state.error()) std::rethrow_exception(error);
  return state.last();
}

}  // namespace attnlab
