// Shared helpers of the model tests: plugin access and Monte Carlo checks.
#pragma once

#include <attnlab/framework/hosting/data_model.hpp>
#include <attnlab/framework/hosting/optimizer.hpp>
#include <attnlab/framework/hosting/plugin_registry.hpp>

#include <functional>
#include <span>
#include <string>
#include <vector>

namespace attnlab::model_tests {

// Built-in plugins plus the test fixtures, loaded once for the process.
PluginRegistry& registry();

DataModel single_location(const std::string& params);
Optimizer make_optimizer(const std::string& id, const std::string& params = "");

// Sample mean and its standard error (sample standard deviation / sqrt(n)).
struct MeanEstimate {
  double mean = 0.0;
  double standard_error = 0.0;
};
MeanEstimate estimate_mean(std::span<const double> values);

// One vector per role, with values and gradients whose steps are exact in
// binary, so that expected values can be written down.
struct SmallParameters {
  std::vector<double> keys{1.0, -2.0}, values{0.5, 1.5}, biases{0.25, -0.75}, activation{2.0};
  std::vector<double> grad_keys{4.0, 8.0}, grad_values{-2.0, 1.0}, grad_biases{1.0, -3.0}, grad_activation{0.5};
  std::vector<attnlab_parameter_group> groups{
      {ATTNLAB_GROUP_KEYS, 1, 2, keys.data(), grad_keys.data()},
      {ATTNLAB_GROUP_VALUES, 1, 2, values.data(), grad_values.data()},
      {ATTNLAB_GROUP_BIASES, 1, 2, biases.data(), grad_biases.data()},
      {ATTNLAB_GROUP_ACTIVATION, 1, 1, activation.data(), grad_activation.data()}};
  SmallParameters() = default;
  SmallParameters(const SmallParameters&) = delete;
  // Every value, in role order.
  std::vector<double> all() const {
    std::vector<double> out;
    for (const auto* v : {&keys, &values, &biases, &activation}) out.insert(out.end(), v->begin(), v->end());
    return out;
  }
};

// The message of the exception `body` throws, or "" when it throws nothing.
std::string error_message(const std::function<void()>& body);

}  // namespace attnlab::model_tests
