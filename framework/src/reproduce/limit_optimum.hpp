// The theory beside a trained grid point: the lowest population risk the
// noiseless gradient flow of the D -> infinity limit reaches from a few
// random starts (and from an extra start where one is given), per
// activation. Internal to the reproduce layer.
#pragma once

#include "experiment_support.hpp"

#include <attnlab/framework/theory/order_parameters.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace attnlab::reproduce {

struct LimitOptimumSettings {
  std::uint32_t starts = 2;
  // Monte Carlo samples of the flow's drift. The flow descends the risk of
  // this fixed sample, so its ends lie above the population optimum by
  // about (state dimension) / samples of the risk; the Bayes point's flow
  // (heads experiment) measures that bias.
  std::uint32_t samples = 1024;
  double horizon = 5000.0;  // flow time, in t at eta = 0.1 per sample
  // Random starts are drawn at init_scale 0.5 (the simulations': 0.1), which
  // shortens the plateau the flow first has to leave: the ends are compared,
  // not the paths.
};

// Full or quick, as the context asks.
LimitOptimumSettings limit_optimum_settings(const ExperimentContext& context);

struct LimitOptimum {
  std::vector<std::string> activations;  // the config's, in order
  std::vector<double> best;              // lowest end risk over the random starts; NaN when it failed
  std::vector<std::uint32_t> settled;    // random starts that came to rest before the horizon
  std::vector<double> extra;             // the extra start's end risk; NaN without one
  double bayes_risk = std::nan("");      // the config's Bayes risk estimate
  std::vector<std::string> ends;         // "<activation>,<start>,<risk>,<settled>,<flow time>" per end

  // CSV rows "<grid value>,<end>,<bayes risk>\n", one per end.
  std::string csv_rows(const std::string& grid_value) const;
};

// Runs the flow on the experiment's config `toml` with `overrides` and the
// first seed, at the step sizes the limit needs: eta = 0.1 per sample on
// keys and values and bias_eta / D on biases and activation parameters,
// with bias_eta = 0.1 x 50 so that they move as fast relative to the
// overlaps as in the simulations at D = 50 (the flow's ends do not depend
// on the step sizes, only how fast it gets there). `extra` may give an
// extra start per activation id.
LimitOptimum limit_optimum(const ExperimentContext& context, const std::string& toml,
                           std::vector<std::string> overrides, const LimitOptimumSettings& settings,
                           const std::string& label,
                           const std::function<std::optional<OrderParameters>(const std::string&)>& extra = {});

}  // namespace attnlab::reproduce
