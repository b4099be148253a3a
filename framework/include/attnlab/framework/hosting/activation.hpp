// Host-side handle on one instance of an activation plugin.
//
// Wraps the C table in a C++ class: checks buffer sizes before every call,
// turns error statuses into PluginError naming the plugin, and refuses
// non-finite weights computed from finite scores. Keeps the plugin library
// alive for as long as the instance exists.
#pragma once

#include <attnlab/plugin_abi.h>
#include <attnlab/framework/hosting/plugin_library.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace attnlab {

struct ScoreShape {
  std::uint32_t batch = 0;
  std::uint32_t heads = 0;
  std::uint32_t length = 0;

  std::size_t size() const { return std::size_t{batch} * heads * length; }
  attnlab_score_shape to_abi() const { return {batch, heads, length}; }
};

// "per-head sum 1", "per-head sum <= 1", "joint sum 1 over heads and tokens"
// or "none": a declared normalization in words, for listings.
const char* normalization_name(std::uint32_t normalization);

class Activation {
 public:
  // Creates an instance with the given parameter text ("key = value" lines).
  Activation(std::shared_ptr<const PluginLibrary> plugin, const std::string& params = "");
  ~Activation();
  Activation(const Activation&) = delete;
  Activation& operator=(const Activation&) = delete;
  Activation(Activation&& other) noexcept;
  Activation& operator=(Activation&& other) noexcept;

  const PluginLibrary& plugin() const { return *plugin_; }
  attnlab_normalization normalization() const;

  std::size_t parameter_count() const;
  std::vector<double> parameters() const;
  void set_parameters(std::span<const double> values);

  // Whether forward() refuses non-finite weights computed from finite scores.
  enum class OutputCheck { RequireFinite, None };

  // head_mask: empty (all heads active) or one byte per head, nonzero = active.
  void forward(ScoreShape shape, std::span<const double> scores, std::span<const unsigned char> head_mask,
               std::span<double> weights, OutputCheck check = OutputCheck::RequireFinite);

  // grad_parameters must hold parameter_count() doubles.
  void backward(ScoreShape shape, std::span<const double> scores, std::span<const double> weights,
                std::span<const unsigned char> head_mask, std::span<const double> grad_weights,
                std::span<double> grad_scores, std::span<double> grad_parameters);

 private:
  const attnlab_activation_table& table() const;
  void check_sizes(ScoreShape shape, std::span<const unsigned char> head_mask,
                   std::initializer_list<std::size_t> buffer_sizes) const;
  [[noreturn]] void fail(const char* operation) const;

  std::shared_ptr<const PluginLibrary> plugin_;
  void* instance_ = nullptr;
  mutable std::string error_;  // error buffer handed to the plugin
};

}  // namespace attnlab
