#include <attnlab/framework/checks/activation_cost.hpp>
#include <attnlab/framework/common/random.hpp>

#include <algorithm>
#include <chrono>
#include <limits>
#include <vector>

namespace attnlab {
namespace {

// Seconds per call of `body`, best of three rounds of at least min_seconds.
template <class Body>
double seconds_per_call(double min_seconds, Body&& body) {
  using Clock = std::chrono::steady_clock;
  double best = std::numeric_limits<double>::infinity();
  for (int round = 0; round < 3; ++round) {
    std::size_t calls = 0;
    const auto start = Clock::now();
    double elapsed = 0.0;
    do {
      body();
      ++calls;
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < min_seconds);
    best = std::min(best, elapsed / static_cast<double>(calls));
  }
  return best;
}

}  // namespace

ActivationCost measure_activation_cost(const std::shared_ptr<const PluginLibrary>& plugin, const std::string& params,
                                       ScoreShape shape, std::uint64_t seed, double min_seconds) {
  Activation activation(plugin, params);
  Rng rng(seed);
  std::vector<double> scores(shape.size());
  std::vector<double> grad_weights(shape.size());
  rng.fill_normal(scores.data(), scores.size());
  rng.fill_normal(grad_weights.data(), grad_weights.size());
  std::vector<double> weights(shape.size());
  std::vector<double> grad_scores(shape.size());
  std::vector<double> grad_parameters(activation.parameter_count());

  const double forward_seconds = seconds_per_call(min_seconds, [&] { activation.forward(shape, scores, {}, weights); });
  const double backward_seconds = seconds_per_call(min_seconds, [&] {
    activation.backward(shape, scores, weights, {}, grad_weights, grad_scores, grad_parameters);
  });
  const double per_sample = 1e6 / static_cast<double>(shape.batch);
  const bool derived = (plugin->capabilities() & ATTNLAB_CAP_DERIVED_BACKWARD) != 0;
  return {shape, forward_seconds * per_sample, backward_seconds * per_sample, derived};
}

}  // namespace attnlab
