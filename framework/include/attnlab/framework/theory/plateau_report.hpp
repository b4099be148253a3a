// The plateau analyses of a config's activations as files and text
// (`attnlab theory --plateau`, `reproduce specialization`).
#pragma once

#include <attnlab/framework/theory/plateau_analysis.hpp>

#include <optional>
#include <string>
#include <vector>

namespace attnlab {

struct PlateauResults {
  std::vector<std::string> activations;
  std::vector<std::optional<PlateauAnalysis>> analyses;  // empty: failed
  std::vector<std::string> failures;                     // per activation; empty when it did not fail
  double init_scale = 1.0;                               // for the predicted plateau length
  double dimension = 0.0;                                // the config's D, likewise
};

// One row per activation x centred feature: variance, growth rate, whether
// the mode is head-symmetric, predicted escape order.
std::string plateau_csv(const PlateauResults& results);
// One row per activation x unstable mode: eigenvalue and per-feature shares.
std::string plateau_modes_csv(const PlateauResults& results);
// Readable summary: per activation the plateau's level, how well it settled,
// the escape order, and the predicted plateau length against D.
std::string plateau_summary(const PlateauResults& results);

// The fastest centred feature's growth rate: the first way out (the
// fastest mode overall may move only norms and the mean direction).
std::optional<double> first_feature_growth(const PlateauAnalysis& analysis);

// Escape time from an asymmetry init_scale / sqrt(D) at growth rate
// `growth`: log(sqrt(D) / init_scale) / growth (to an O(1) overlap).
double predicted_escape_time(double growth, double dimension, double init_scale);

}  // namespace attnlab
