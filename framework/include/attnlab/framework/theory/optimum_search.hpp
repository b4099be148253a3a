// The best population risk an activation reaches with H heads, and which
// starts end where: the long-time limit of the noiseless gradient flow
// (eta -> 0 at fixed eta t, LimitSteps::gradient_flow) from many random
// starts. It separates "the activation cannot" (every start's risk is far
// from the Bayes risk) from "SGD does not find it" (some starts reach it,
// the others are trapped in basins, or the SGD noise sets a floor).
#pragma once

#include <attnlab/framework/theory/field_sample.hpp>
#include <attnlab/framework/theory/limit_dynamics.hpp>
#include <attnlab/framework/theory/order_parameters.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attnlab {

struct OptimumOptions {
  std::uint32_t starts = 8;      // random initial states per activation
  double horizon = 0.0;          // flow time (t units at the config's eta); 0: ten times train.time
  double rate_tolerance = 1e-6;  // settled: every |d state / dt| below this
  double integration_tolerance = 1e-5;
  // Optional extra start per activation (config order; empty: none), e.g.
  // bayes_point(); flowed after the random ones, its end has start = starts.
  std::vector<std::optional<OrderParameters>> extra_starts;
};

// Where one start's flow ended.
struct FlowEnd {
  std::uint32_t start = 0;
  double time = 0.0;  // where it stopped: settled, or the horizon
  bool settled = false;
  double risk = 0.0;             // population risk there
  std::uint32_t used_heads = 0;  // heads whose value overlap with v* is at least 10 % of the largest
  OrderParameters state;
};

// Integrates the gradient flow from `start` until it settles or reaches
// `horizon`, reporting on a doubling time grid. Throws std::runtime_error
// when the flow diverges.
FlowEnd flow_to_rest(LimitDynamics& dynamics, const FieldSample& sample, const FieldSample& risk_sample,
                     const OrderParameters& start, double horizon, const OptimumOptions& options);

// Basins: the ends grouped by risk (ends within `width` of the group's
// lowest risk share a group), lowest first.
struct Basin {
  double risk = 0.0;  // the group's lowest
  std::vector<std::uint32_t> starts;
  std::uint32_t used_heads = 0;  // of the lowest
};
std::vector<Basin> basins_of(const std::vector<FlowEnd>& ends, double width);

}  // namespace attnlab
