// The schedule of side-by-side training: producer and consumers of batches.
#include <attnlab/framework/training/step_pipeline.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

using attnlab::LockstepPool;
using attnlab::run_step_pipeline;
using attnlab::StepPipelineWork;

namespace {

// Records what ran and checks the pipeline's promises as it goes: a model
// trains on a slot that holds its step's batch (not yet overwritten, already
// drawn), steps come in order per model, batches are drawn in order.
struct Recorder {
  explicit Recorder(std::uint32_t models, std::uint32_t slots, std::uint64_t first)
      : slot_step(slots, ~std::uint64_t{0}), next_train(models, first), next_draw(first) {}

  std::mutex mutex;
  std::vector<std::uint64_t> slot_step;  // step whose batch each slot holds
  std::vector<std::uint64_t> next_train;
  std::uint64_t next_draw;
  int violations = 0;

  void draw(std::uint64_t step, std::uint32_t slot) {
    std::lock_guard lock(mutex);
    if (step != next_draw) ++violations;
    ++next_draw;
    slot_step[slot] = step;
  }
  void train(std::uint32_t model, std::uint64_t step, std::uint32_t slot) {
    std::lock_guard lock(mutex);
    if (step != next_train[model]) ++violations;
    if (slot_step[slot] != step) ++violations;
    ++next_train[model];
  }
};

}  // namespace

TEST_CASE("every model trains every step once, in order, on its own step's batch", "[pipeline]") {
  for (std::uint32_t threads = 1; threads <= 3; ++threads) {
    LockstepPool pool(threads);
    for (std::uint32_t models = 1; models <= 4; ++models) {
      for (std::uint32_t slots = 1; slots <= 3; ++slots) {
        INFO("threads " << threads << ", models " << models << ", slots " << slots);
        constexpr std::uint64_t kFirst = 5, kLast = 400;
        Recorder recorder(models, slots, kFirst);
        std::vector<std::uint64_t> progress;
        const auto caller = std::this_thread::get_id();
        bool progress_elsewhere = false;
        StepPipelineWork work;
        work.draw = [&](std::uint64_t step, std::uint32_t slot) { recorder.draw(step, slot); };
        work.train = [&](std::uint32_t model, std::uint64_t step, std::uint32_t slot) {
          recorder.train(model, step, slot);
        };
        work.progress = [&](std::uint64_t done) {
          if (std::this_thread::get_id() != caller) progress_elsewhere = true;
          progress.push_back(done);
        };
        run_step_pipeline(pool, models, slots, kFirst, kLast, work);
        CHECK(recorder.violations == 0);
        CHECK(recorder.next_draw == kLast);
        for (const auto next : recorder.next_train) CHECK(next == kLast);
        CHECK_FALSE(progress_elsewhere);
        for (std::size_t i = 1; i < progress.size(); ++i) REQUIRE(progress[i - 1] <= progress[i]);
        for (const auto done : progress) REQUIRE(done <= kLast);
      }
    }
  }
}

TEST_CASE("an empty range runs nothing", "[pipeline]") {
  LockstepPool pool(2);
  int calls = 0;
  StepPipelineWork work;
  work.draw = [&](std::uint64_t, std::uint32_t) { ++calls; };
  work.train = [&](std::uint32_t, std::uint64_t, std::uint32_t) { ++calls; };
  run_step_pipeline(pool, 3, 2, 10, 10, work);
  CHECK(calls == 0);
}

TEST_CASE("a failing draw stops the pipeline and reaches the caller; no model trains past it", "[pipeline]") {
  for (std::uint32_t threads = 1; threads <= 3; ++threads) {
    INFO("threads " << threads);
    LockstepPool pool(threads);
    std::atomic<std::uint64_t> furthest{0};
    StepPipelineWork work;
    work.draw = [](std::uint64_t step, std::uint32_t) {
      if (step == 37) throw std::runtime_error("batch 37 failed");
    };
    work.train = [&](std::uint32_t, std::uint64_t step, std::uint32_t) {
      std::uint64_t seen = furthest.load();
      while (step > seen && !furthest.compare_exchange_weak(seen, step)) {
      }
    };
    CHECK_THROWS_WITH(run_step_pipeline(pool, 3, 3, 0, 100, work), "batch 37 failed");
    CHECK(furthest.load() < 37);
  }
}

TEST_CASE("a stop request ends the pipeline at the step every model can reach, with nothing drawn beyond it",
          "[pipeline]") {
  for (std::uint32_t threads = 1; threads <= 3; ++threads) {
    for (std::uint32_t slots = 1; slots <= 3; ++slots) {
      INFO("threads " << threads << ", slots " << slots);
      LockstepPool pool(threads);
      constexpr std::uint32_t kModels = 3;
      Recorder recorder(kModels, slots, 0);
      std::atomic<bool> stop{false};
      StepPipelineWork work;
      work.draw = [&](std::uint64_t step, std::uint32_t slot) {
        recorder.draw(step, slot);
        if (step == 57) stop = true;  // asked for while step 57 is being drawn
      };
      work.train = [&](std::uint32_t model, std::uint64_t step, std::uint32_t slot) {
        recorder.train(model, step, slot);
      };
      work.stop_requested = [&] { return stop.load(); };
      const std::uint64_t reached = run_step_pipeline(pool, kModels, slots, 0, 1000, work);
      CHECK(recorder.violations == 0);
      // Every batch drawn was trained on by every model, and none more.
      CHECK(reached >= 58);
      CHECK(reached < 58 + slots + 1);
      CHECK(recorder.next_draw == reached);
      for (const auto next : recorder.next_train) CHECK(next == reached);
      // Asked before it starts, it runs nothing.
      CHECK(run_step_pipeline(pool, kModels, slots, reached, 1000, work) == reached);
      CHECK(recorder.next_draw == reached);
    }
  }
}
