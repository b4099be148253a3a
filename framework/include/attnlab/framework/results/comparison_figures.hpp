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
// Records with a test_mse_band (the high-dimensional limit's) get it as
// error bars. `theory_jsonl`, when not empty, holds the limit's records of
// the same activations, drawn dashed beside each simulated curve (test
// error and overlaps), in its colour.
void render_comparison_figures(const std::string& metrics_jsonl, const std::optional<BayesRiskEstimate>& bayes_risk,
                               const std::filesystem::path& folder, const std::string& theory_jsonl = "");

}  // namespace attnlab
