// Key overlaps m[h,f](t) of one model, laid out so that a reader can tell
// which head learned which feature: one panel per feature with m[h,f] against
// t (log axis), each head in the same colour in every panel and named in the
// legend; and the final overlaps as a heads x features heat map.
#pragma once

#include <attnlab/framework/analysis/specialization.hpp>
#include <attnlab/framework/reports/figure.hpp>

#include <string>
#include <vector>

namespace attnlab {

// `feature_names` names the columns of the overlap matrices, e.g. "f1 (std 3)".
// `theory`, when given, is drawn dashed, each head in its simulated colour.
// Throws UsageError when a trajectory is empty or its sizes disagree.
FigureGrid overlap_panels(const std::string& title, const OverlapTrajectory& trajectory,
                          const std::vector<std::string>& feature_names, const OverlapTrajectory* theory = nullptr);

// The overlaps at the last log point where all are finite (a stopped model's
// last values), or at the last one when none is; the title gets its t.
HeatMap final_overlap_map(const std::string& title, const OverlapTrajectory& trajectory,
                          const std::vector<std::string>& feature_names);

}  // namespace attnlab
