// Finding the specialization dynamics in a run's overlap trajectories.
//
// Heads first align together with the prior's mean direction (a plateau of
// the test error), then, one feature at a time, some head's key turns toward
// a feature direction k*_f. A feature is learned at the first log point
// where some head's overlap |m[h,f]| reaches `threshold` and still does at
// the next log point (one noisy point is not an event); its time is where
// the largest |m[h,f]| crosses the threshold, linear in t between the log
// point before (below) and that one. Log points are sparse (12 per run), so
// the crossing is not left rounded up to the next one.
#pragma once

#include <attnlab/sdk/types.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace attnlab {

struct OverlapTrajectory {
  std::vector<double> times;            // t at each log point
  std::vector<RowMatrix> key_overlaps;  // H x F at each log point
};

struct SpecializationCriteria {
  double threshold = 0.3;               // |m[h,f]| that counts as locked on
  std::vector<std::uint32_t> features;  // features to watch (those with variance)
  std::vector<double> mean_direction;   // the prior mean mu over F; empty: none
};

struct SpecializationEvent {
  std::uint32_t feature = 0;
  std::uint32_t head = 0;  // the head with the largest |m[h,f]| at the log point that holds
  double time = 0.0;       // interpolated crossing time (the log point itself when it is the first)
  double overlap = 0.0;    // m[h,f] then (signed)
};

struct SpecializationAnalysis {
  // When the heads' mean overlap with the mean direction reaches the
  // threshold (interpolated as for events): the start of the unspecialized
  // plateau.
  std::optional<double> plateau_start;
  std::vector<SpecializationEvent> events;  // in time order; features never learned are absent
};

SpecializationAnalysis analyze_specialization(const OverlapTrajectory& trajectory,
                                              const SpecializationCriteria& criteria);

}  // namespace attnlab
