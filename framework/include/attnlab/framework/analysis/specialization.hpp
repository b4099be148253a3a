// Finding the specialization dynamics in a run's overlap trajectories.
//
// Heads first align together with the prior's mean direction (a plateau of
// the test error), then, one feature at a time, some head's key turns toward
// a feature direction k*_f. A feature counts as learned at the first log
// point where some head's overlap |m[h,f]| reaches `threshold` and still does
// at the next log point (one noisy point is not an event).
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
  std::uint32_t head = 0;  // the head with the largest |m[h,f]| at that time
  double time = 0.0;
  double overlap = 0.0;  // m[h,f] then (signed)
};

struct SpecializationAnalysis {
  // First time the heads' mean overlap with the mean direction reaches the
  // threshold: the start of the unspecialized plateau.
  std::optional<double> plateau_start;
  std::vector<SpecializationEvent> events;  // in time order; features never learned are absent
};

SpecializationAnalysis analyze_specialization(const OverlapTrajectory& trajectory,
                                              const SpecializationCriteria& criteria);

}  // namespace attnlab
