#include "model_test_support.hpp"

#include <cmath>
#include <exception>
#include <stdexcept>

namespace attnlab::model_tests {

PluginRegistry& registry() {
  static PluginRegistry plugins = [] {
    PluginRegistry r;
    for (const char* directory : {ATTNLAB_TEST_BUILTIN_PLUGIN_DIR, ATTNLAB_MODEL_TEST_FIXTURE_DIR}) {
      const auto rejections = r.add_directory(directory);
      if (!rejections.empty()) throw std::runtime_error(rejections.front().message);
    }
    return r;
  }();
  return plugins;
}

DataModel single_location(const std::string& params) {
  return DataModel(registry().get("single-location", PluginKind::DataModel), params);
}

Optimizer make_optimizer(const std::string& id, const std::string& params) {
  return Optimizer(registry().get(id, PluginKind::Optimizer), params);
}

MeanEstimate estimate_mean(std::span<const double> values) {
  double mean = 0.0;
  for (const double v : values) mean += v;
  const auto n = static_cast<double>(values.size());
  mean /= n;
  double squares = 0.0;
  for (const double v : values) squares += (v - mean) * (v - mean);
  return {mean, std::sqrt(squares / (n - 1.0) / n)};
}

std::string error_message(const std::function<void()>& body) {
  try {
    body();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace attnlab::model_tests
