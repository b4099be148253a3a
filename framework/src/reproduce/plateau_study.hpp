// The specialization experiment's plateau, in the limit and in simulations.
// Internal to the reproduce layer.
#pragma once

#include "experiment_support.hpp"

#include <attnlab/framework/analysis/specialization.hpp>

#include <string>
#include <vector>

namespace attnlab::reproduce {

// The prior's centred features (decreasing std) and its mean direction.
struct PlateauPrior {
  std::string name;
  std::vector<double> mean;
  std::vector<double> std;
};

// The limit's plateau analysis on priors with 3, 4 and 5 centred features of
// distinct variances (plateau.csv, plateau_modes.csv: does larger Var theta_f
// escape first?), and the simulations' plateau start, length and level
// against D and against the init scale beside the limit's level and growth
// rates (plateau_scan.csv). `setting` is the experiment's; its prior is
// replaced. Returns the report's markdown.
std::string plateau_study(const ExperimentContext& context, const ExperimentSetting& setting,
                          const SpecializationCriteria& criteria);

}  // namespace attnlab::reproduce
