// Host-side handle on one instance of a data-model plugin.
//
// Wraps the C table in a C++ class: checks buffer sizes before every call,
// turns error statuses into PluginError naming the plugin, and refuses
// non-finite samples. Dimensions and teacher directions are fetched once at
// construction. Keeps the plugin library alive while the instance exists.
#pragma once

#include <attnlab/plugin_abi.h>
#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/hosting/plugin_library.hpp>
#include <attnlab/sdk/types.hpp>

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>

namespace attnlab {

class DataModel {
 public:
  // Creates an instance with the given parameter text ("key = value" lines).
  DataModel(std::shared_ptr<const PluginLibrary> plugin, const std::string& params = "");
  ~DataModel();
  DataModel(const DataModel&) = delete;
  DataModel& operator=(const DataModel&) = delete;
  DataModel(DataModel&& other) noexcept;
  DataModel& operator=(DataModel&& other) noexcept;

  const PluginLibrary& plugin() const { return *plugin_; }
  std::uint32_t dimension() const { return dims_.dimension; }
  std::uint32_t length() const { return dims_.length; }
  std::uint32_t features() const { return dims_.features; }
  // F x D, and D; squared norms D in the paper's convention.
  const RowMatrix& teacher_keys() const { return teacher_keys_; }
  const Eigen::VectorXd& teacher_value() const { return teacher_value_; }

  // tokens: (batch*L) x D row-major; labels: batch. Randomness only from `rng`.
  void sample(Rng& rng, std::uint32_t batch, std::span<double> tokens, std::span<double> labels);

  // Whether the plugin offers the Bayes-optimal prediction and risk samples.
  bool has_bayes() const;
  // E[y | X] for each sample of the batch (tokens as in sample()).
  void bayes_prediction(std::uint32_t batch, std::span<const double> tokens, std::span<double> prediction);
  // out.size() independent unbiased samples of the Bayes risk.
  void bayes_risk_samples(Rng& rng, std::span<double> out);

  // Whether the plugin describes its law as D -> infinity (limit_sample).
  bool has_limit() const;
  // Throws UsageError naming the plugin and what it lacks when it has no limit.
  void require_limit() const;
  // For `count` samples: teacher fields (count*L) x (F+1) row-major, label means and label noise variances
  // (count each). Throws UsageError naming the plugin when it has no limit; PluginError on a plugin failure
  // or non-finite / negative-variance output.
  void limit_sample(Rng& rng, std::uint32_t count, std::span<double> teacher_fields, std::span<double> label_means,
                    std::span<double> label_noise_variances);

 private:
  const attnlab_data_model_table& table() const;
  attnlab_error_buffer error_buffer() const { return {error_.data(), error_.size()}; }
  void check_batch(std::uint32_t batch, std::size_t tokens, std::size_t per_sample, const char* what) const;
  void require_bayes(const char* operation) const;
  [[noreturn]] void fail(const char* operation) const;

  std::shared_ptr<const PluginLibrary> plugin_;
  void* instance_ = nullptr;
  attnlab_data_dims dims_{};
  RowMatrix teacher_keys_;
  Eigen::VectorXd teacher_value_;
  mutable std::string error_;  // error buffer handed to the plugin
};

// Whether a data-model plugin provides limit_sample: its table is long enough
// to hold the entry (ABI 1.1), it declares ATTNLAB_CAP_HIGH_DIMENSIONAL_LIMIT
// and the entry is set.
bool provides_limit(const PluginLibrary& plugin);

struct BayesRiskEstimate {
  double mean = 0.0;
  double standard_error = 0.0;  // of the mean, from the sample variance
  std::size_t samples = 0;
  // The Bayes predictor's mean squared error on the run's own test set (NaN
  // where there is none, as in the limit): a model's test error minus it
  // is its excess with the test set's own sampling error cancelled.
  double test_set_error = std::numeric_limits<double>::quiet_NaN();
};

// Monte Carlo estimate of the Bayes risk from `samples` (at least 2) risk
// samples drawn in chunks from `rng`.
BayesRiskEstimate estimate_bayes_risk(DataModel& model, Rng& rng, std::size_t samples);

}  // namespace attnlab
