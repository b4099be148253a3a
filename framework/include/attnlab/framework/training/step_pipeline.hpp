// Schedules the steps of side-by-side training so that no thread waits at a
// barrier every step.
//
// One producer draws the batches of steps first..last-1 in order into a ring
// of `slots` buffers; each of `models` consumers trains on them in order. A
// consumer may run ahead of the others by up to slots - 1 steps, and the
// producer fills a slot again only once every consumer is done with it.
// Which thread runs what varies from run to run; what each piece computes
// does not (the batches are drawn in step order, each model sees its steps in
// order), so results are the same for any thread count.
#pragma once

#include <attnlab/framework/training/lockstep_pool.hpp>

#include <cstdint>
#include <functional>

namespace attnlab {

struct StepPipelineWork {
  // Fills ring slot `slot` with the batch of step `step`. May throw: the
  // pipeline stops, lets running pieces finish and rethrows it.
  std::function<void(std::uint64_t step, std::uint32_t slot)> draw;
  // Trains model `model` on step `step` from slot `slot`. Must not throw.
  std::function<void(std::uint32_t model, std::uint64_t step, std::uint32_t slot)> train;
  // Called on the calling thread only, with the number of steps every model
  // has finished, now and then (for progress displays). May be empty.
  std::function<void(std::uint64_t steps_done)> progress;
  // Asked now and then, from any thread; once it returns true, no further
  // batch is drawn and every model finishes the steps already drawn. May be
  // empty.
  std::function<bool()> stop_requested;
};

// Runs steps [first, last) on `pool`'s threads. slots >= 1. Returns the
// step every model reached: `last`, or less when stop_requested() said so
// (the batches of steps before it, and no others, have been drawn).
std::uint64_t run_step_pipeline(LockstepPool& pool, std::uint32_t models, std::uint32_t slots, std::uint64_t first,
                                std::uint64_t last, const StepPipelineWork& work);

}  // namespace attnlab
