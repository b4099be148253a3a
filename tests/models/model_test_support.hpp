// Shared helpers of the model tests: plugin access and Monte Carlo checks.
#pragma once

#include <attnlab/framework/hosting/data_model.hpp>
#include <attnlab/framework/hosting/optimizer.hpp>
#include <attnlab/framework/hosting/plugin_registry.hpp>

#include <functional>
#include <span>
#include <string>

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

// The message of the exception `body` throws, or "" when it throws nothing.
std::string error_message(const std::function<void()>& body);

}  // namespace attnlab::model_tests
