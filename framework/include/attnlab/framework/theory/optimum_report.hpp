// The gradient-flow ends of a config's activations as files and text
// (`attnlab theory --optimum`, `reproduce activations` and `heads`).
#pragma once

#include <attnlab/framework/theory/optimum_search.hpp>

#include <optional>
#include <string>
#include <vector>

namespace attnlab {

struct OptimumResults {
  std::vector<std::string> activations;
  std::vector<std::vector<FlowEnd>> ends;  // per activation; empty: failed
  std::vector<std::string> failures;
  std::optional<double> bayes_risk;
};

// Ends whose risks differ by less than this share a basin: above the
// risk's Monte Carlo error on the default risk sample (~1e-3), far below
// the gaps between basins seen (~1e-2).
inline constexpr double kBasinWidth = 3e-3;

// The lowest risk an activation's starts reached; NaN when none.
double best_risk(const std::vector<FlowEnd>& ends);
// Share of starts ending within `relative` of the Bayes risk.
double share_near(const std::vector<FlowEnd>& ends, double bayes_risk, double relative);

// One row per activation x start.
std::string optimum_csv(const OptimumResults& results);
// Per activation: the best risk against the Bayes risk, and the basins.
std::string optimum_summary(const OptimumResults& results);

}  // namespace attnlab
