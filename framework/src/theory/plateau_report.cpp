#include <attnlab/framework/theory/plateau_report.hpp>

#include <fmt/format.h>

#include <cmath>

namespace attnlab {

std::optional<double> first_feature_growth(const PlateauAnalysis& analysis) {
  std::optional<double> fastest;
  for (const FeatureEscape& escape : analysis.features) {
    if (escape.growth_rate && (!fastest || *escape.growth_rate > *fastest)) fastest = escape.growth_rate;
  }
  return fastest;
}

double predicted_escape_time(double growth, double dimension, double init_scale) {
  return std::log(std::sqrt(dimension) / init_scale) / growth;
}

std::string plateau_csv(const PlateauResults& results) {
  std::string csv = "activation,feature,variance,growth_rate,head_symmetric,predicted_order\n";
  for (std::size_t i = 0; i < results.activations.size(); ++i) {
    if (!results.analyses[i]) continue;
    for (const FeatureEscape& escape : results.analyses[i]->features) {
      csv += fmt::format("{},{},{:.6g},{},{},{}\n", results.activations[i], escape.feature + 1, escape.variance,
                         escape.growth_rate ? fmt::format("{:.6g}", *escape.growth_rate) : "",
                         escape.growth_rate ? (escape.head_symmetric ? "yes" : "no") : "",
                         escape.predicted_order == 0 ? "" : std::to_string(escape.predicted_order));
    }
  }
  return csv;
}

std::string plateau_modes_csv(const PlateauResults& results) {
  std::size_t features = 0;
  for (const auto& analysis : results.analyses) {
    if (analysis && !analysis->modes.empty()) features = analysis->modes.front().feature_share.size();
  }
  std::string csv = "activation,mode,eigenvalue_real,eigenvalue_imag,head_symmetric_share";
  for (std::size_t f = 0; f < features; ++f) csv += fmt::format(",share_f{}", f + 1);
  csv += "\n";
  for (std::size_t i = 0; i < results.activations.size(); ++i) {
    if (!results.analyses[i]) continue;
    std::size_t index = 0;
    for (const PlateauMode& mode : results.analyses[i]->modes) {
      ++index;
      csv += fmt::format("{},{},{:.6g},{:.6g},{:.4f}", results.activations[i], index, mode.eigenvalue.real(),
                         mode.eigenvalue.imag(), mode.head_symmetric_share);
      for (const double share : mode.feature_share) csv += fmt::format(",{:.4f}", share);
      csv += "\n";
    }
  }
  return csv;
}

std::string plateau_summary(const PlateauResults& results) {
  std::string text;
  for (std::size_t i = 0; i < results.activations.size(); ++i) {
    const std::string& id = results.activations[i];
    if (!results.analyses[i]) {
      text += fmt::format("{}: failed: {}\n\n", id, results.failures[i]);
      continue;
    }
    const PlateauAnalysis& a = *results.analyses[i];
    text += fmt::format(
        "{}: plateau risk {:.5g}; {} (head-symmetric flow, t = {:g}; full drift there {:.2g}; {} evaluations)\n", id,
        a.risk, a.converged ? "settled" : "NOT settled", a.settle_time, a.largest_rate, a.evaluations);
    const std::size_t unstable = a.unstable_modes;
    const std::optional<double> growth = first_feature_growth(a);
    if (growth) {
      text += fmt::format(
          "  {} unstable mode(s), the fastest at {:.4g}; the fastest feature's at {:.4g} per unit t: the plateau "
          "lasts ~ log(sqrt(D) / init_scale) / {:.4g} (+{:.3g} per doubling of D; ~ {:.4g} at D = {:g}, init_scale "
          "{:g})\n",
          unstable, a.largest_growth_rate.value_or(0.0), *growth, *growth, std::log(2.0) / (2.0 * *growth),
          predicted_escape_time(*growth, results.dimension, results.init_scale), results.dimension, results.init_scale);
    } else {
      text += fmt::format("  {} unstable mode(s), none carried by a centred feature: no feature leaves the plateau\n",
                          unstable);
    }
    for (const FeatureEscape& escape : a.features) {
      text += fmt::format("  feature {} (Var theta {:.3g}): ", escape.feature + 1, escape.variance);
      if (!escape.growth_rate) {
        text += "no unstable mode of its own\n";
        continue;
      }
      text += fmt::format("growth {:.4g} ({}), escapes {}{}\n", *escape.growth_rate,
                          escape.head_symmetric ? "every head alike" : "heads apart", escape.predicted_order,
                          escape.predicted_order == 1   ? "st"
                          : escape.predicted_order == 2 ? "nd"
                          : escape.predicted_order == 3 ? "rd"
                                                        : "th");
    }
    text += "\n";
  }
  return text;
}

}  // namespace attnlab
