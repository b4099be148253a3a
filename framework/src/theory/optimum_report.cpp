#include <attnlab/framework/theory/optimum_report.hpp>

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace attnlab {

double best_risk(const std::vector<FlowEnd>& ends) {
  double best = std::numeric_limits<double>::quiet_NaN();
  for (const FlowEnd& end : ends) {
    if (!(end.risk >= best)) best = end.risk;
  }
  return best;
}

double share_near(const std::vector<FlowEnd>& ends, double bayes_risk, double relative) {
  if (ends.empty()) return std::nan("");
  std::size_t near = 0;
  for (const FlowEnd& end : ends) near += end.risk <= (1.0 + relative) * bayes_risk ? 1 : 0;
  return static_cast<double>(near) / static_cast<double>(ends.size());
}

std::string optimum_csv(const OptimumResults& results) {
  std::string csv = "activation,start,risk,settled,time,used_heads\n";
  for (std::size_t i = 0; i < results.activations.size(); ++i) {
    for (const FlowEnd& end : results.ends[i]) {
      csv += fmt::format("{},{},{:.6g},{},{:g},{}\n", results.activations[i], end.start, end.risk,
                         end.settled ? "yes" : "no", end.time, end.used_heads);
    }
  }
  return csv;
}

std::string optimum_summary(const OptimumResults& results) {
  std::string text;
  for (std::size_t i = 0; i < results.activations.size(); ++i) {
    const std::string& id = results.activations[i];
    const std::vector<FlowEnd>& ends = results.ends[i];
    if (ends.empty()) {
      text += fmt::format("{}: failed: {}\n\n", id, results.failures[i]);
      continue;
    }
    std::size_t settled = 0;
    for (const FlowEnd& end : ends) settled += end.settled ? 1 : 0;
    const double best = best_risk(ends);
    text += fmt::format("{}: best risk {:.5g} over {} starts ({} settled, the rest at the horizon)", id, best,
                        ends.size(), settled);
    if (results.bayes_risk) {
      text +=
          fmt::format("; {:+.2f} % over the Bayes risk; {:.0f} % of starts within 2 %",
                      100.0 * (best / *results.bayes_risk - 1.0), 100.0 * share_near(ends, *results.bayes_risk, 0.02));
    }
    text += "\n";
    for (const Basin& basin : basins_of(ends, kBasinWidth)) {
      text += fmt::format("  basin at risk {:.5g}: {}/{} starts, {} head(s) used\n", basin.risk, basin.starts.size(),
                          ends.size(), basin.used_heads);
    }
    text += "\n";
  }
  return text;
}

}  // namespace attnlab
