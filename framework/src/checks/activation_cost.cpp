#include <attnlab/framework/checks/activation_cost.hpp>
#include <attnlab/framework/common/random.hpp>

#include "common/child_process.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
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

void require_finite(std::span<const double> values, const char* what, std::size_t call) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw std::runtime_error(std::string(what) + " " + std::to_string(i) + " is " + std::to_string(values[i]) +
                               " at call " + std::to_string(call));
    }
  }
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

  // The wrapper's forward already refuses non-finite weights.
  std::size_t forward_calls = 0;
  const double forward_seconds = seconds_per_call(min_seconds, [&] {
    ++forward_calls;
    try {
      activation.forward(shape, scores, {}, weights);
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string(e.what()) + " at call " + std::to_string(forward_calls));
    }
  });
  std::size_t backward_calls = 0;
  const double backward_seconds = seconds_per_call(min_seconds, [&] {
    activation.backward(shape, scores, weights, {}, grad_weights, grad_scores, grad_parameters);
    ++backward_calls;
    require_finite(grad_scores, "backward: score gradient", backward_calls);
    require_finite(grad_parameters, "backward: parameter gradient", backward_calls);
  });
  const double per_sample = 1e6 / static_cast<double>(shape.batch);
  const bool derived = (plugin->capabilities() & ATTNLAB_CAP_DERIVED_BACKWARD) != 0;
  return {shape, forward_seconds * per_sample, backward_seconds * per_sample, derived};
}

IsolatedActivationCost measure_activation_cost_isolated(const std::shared_ptr<const PluginLibrary>& plugin,
                                                        const std::string& params, ScoreShape shape, std::uint64_t seed,
                                                        double timeout_seconds) {
  const IsolatedOutcome outcome = run_isolated(
      [&] {
        const ActivationCost cost = measure_activation_cost(plugin, params, shape, seed);
        char text[64];
        std::snprintf(text, sizeof text, "%.17g %.17g", cost.forward_microseconds, cost.backward_microseconds);
        return std::string(text);
      },
      timeout_seconds);
  IsolatedActivationCost result;
  // Known without calling the plugin: its descriptor says so.
  ActivationCost cost{shape, 0.0, 0.0, (plugin->capabilities() & ATTNLAB_CAP_DERIVED_BACKWARD) != 0};
  if (outcome.answered() &&
      std::sscanf(outcome.answer.c_str(), "%lf %lf", &cost.forward_microseconds, &cost.backward_microseconds) == 2) {
    result.cost = cost;
  } else {
    result.failure = outcome.answered() ? "no figures came back" : outcome.failure();
  }
  return result;
}

}  // namespace attnlab
