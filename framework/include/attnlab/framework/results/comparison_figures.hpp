// The figures of a finished comparison, drawn with gnuplot from its
// metrics.jsonl text: test_error (test MSE against t, with the Bayes risk),
// and for each activation with overlaps, overlaps_<id> (m[h,f] against t, one
// panel per feature) and final_overlaps_<id> (the final m[h,f] as a heat
// map). Each as .png and .svg, with the .dat and .gp they were drawn from.
#pragma once

#include <attnlab/framework/hosting/data_model.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace attnlab {

// Writes into `folder` (which must exist); the errors of render_figure.
void render_comparison_figures(const std::string& metrics_jsonl, const std::optional<BayesRiskEstimate>& bayes_risk,
                               const std::filesystem::path& folder);

}  // namespace attnlab
