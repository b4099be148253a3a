#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/theory/bayes_point.hpp>

#include <fmt/format.h>

#include <cmath>

namespace attnlab {

OrderParameters bayes_point(const std::vector<std::vector<double>>& support, const std::vector<double>& weights,
                            std::uint32_t heads) {
  const std::size_t points = support.size();
  if (points == 0 || heads < points) {
    throw UsageError(
        fmt::format("the Bayes-optimal point needs a head per support point: H = {} < {} points", heads, points));
  }
  if (weights.size() != points) {
    throw UsageError(fmt::format("the Bayes-optimal point needs one weight per support point: {} weights for {} points",
                                 weights.size(), points));
  }
  const std::size_t features = support.front().size();
  for (std::size_t j = 0; j < points; ++j) {
    if (support[j].size() != features) {
      throw UsageError(
          fmt::format("support point {} has {} features, the first has {}", j, support[j].size(), features));
    }
    if (!(weights[j] > 0.0)) throw UsageError(fmt::format("support weight {} is {}, not positive", j, weights[j]));
  }

  OrderParameters state;
  state.heads = heads;
  state.teachers = static_cast<std::uint32_t>(features + 1);
  const Eigen::Index H = heads;
  const auto F = static_cast<Eigen::Index>(features);
  state.student = RowMatrix::Zero(2 * H, 2 * H + F + 1);
  state.biases.resize(H);
  std::vector<std::uint32_t> sharing(points, 0);
  for (std::uint32_t h = 0; h < heads; ++h) ++sharing[h % points];
  for (Eigen::Index h = 0; h < H; ++h) {
    const std::vector<double>& theta = support[static_cast<std::size_t>(h) % points];
    for (Eigen::Index g = 0; g < H; ++g) {
      const std::vector<double>& other = support[static_cast<std::size_t>(g) % points];
      double dot = 0.0;
      for (std::size_t f = 0; f < features; ++f) dot += theta[f] * other[f];
      state.student(h, g) = dot;          // k_h . k_g / D
      state.student(H + h, H + g) = 1.0;  // v_h . v_g / D: every value is v*
    }
    double squared = 0.0;
    for (Eigen::Index f = 0; f < F; ++f) {
      state.student(h, 2 * H + f) = theta[static_cast<std::size_t>(f)];  // m_{h,f}
      squared += theta[static_cast<std::size_t>(f)] * theta[static_cast<std::size_t>(f)];
    }
    state.student(H + h, 2 * H + F) = 1.0;  // r_h = v_h . v* / D
    const std::size_t j = static_cast<std::size_t>(h) % points;
    state.biases(h) = std::log(weights[j] / sharing[j]) - squared / 2.0;
  }
  return state;
}

}  // namespace attnlab
