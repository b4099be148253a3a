#include <attnlab/framework/theory/limit_integrator.hpp>
#include <attnlab/framework/theory/optimum_search.hpp>

#include <algorithm>
#include <cmath>

namespace attnlab {
namespace {

std::uint32_t used_heads(const OrderParameters& state) {
  const Eigen::VectorXd r = state.teacher_overlaps().bottomRightCorner(state.heads, 1).cwiseAbs();
  const double largest = r.maxCoeff();
  return static_cast<std::uint32_t>((r.array() >= 0.1 * largest).count());
}

}  // namespace

FlowEnd flow_to_rest(LimitDynamics& dynamics, const FieldSample& sample, const FieldSample& risk_sample,
                     const OrderParameters& start, double horizon, const OptimumOptions& options) {
  OrderParameters at = start;
  OrderParameters rate = start;
  const LimitRhs flow = [&](double, const std::vector<double>& state, std::vector<double>& out) {
    from_vector(state, at);
    dynamics.rate(at, sample, rate);
    to_vector(rate, out);
  };
  FlowEnd end;
  std::vector<double> state;
  to_vector(start, state);
  const RestSearch search =
      integrate_to_rest(flow, state, 0.0, horizon, options.rate_tolerance, options.integration_tolerance);
  end.time = search.time;
  end.settled = search.at_rest;
  from_vector(state, at);
  end.state = at;
  end.risk = dynamics.measure(at, risk_sample).risk;
  end.used_heads = used_heads(at);
  return end;
}

std::vector<Basin> basins_of(const std::vector<FlowEnd>& ends, double width) {
  std::vector<const FlowEnd*> sorted;
  for (const FlowEnd& end : ends) sorted.push_back(&end);
  std::stable_sort(sorted.begin(), sorted.end(), [](const FlowEnd* a, const FlowEnd* b) { return a->risk < b->risk; });
  std::vector<Basin> basins;
  for (const FlowEnd* end : sorted) {
    if (basins.empty() || end->risk > basins.back().risk + width) {
      basins.push_back({end->risk, {}, end->used_heads});
    }
    basins.back().starts.push_back(end->start);
  }
  return basins;
}

}  // namespace attnlab
