// C++ author layer for activation plugins.
//
// An author writes a class in one of two styles (per sample, H x L matrices):
//
// 1. Forward only, as a template over the scalar type; the SDK derives an
//    exact backward by reverse mode (derived_backward.hpp):
//
//      template <class T>
//      void forward(attnlab::Scores<T> scores, const attnlab::HeadMask& mask,
//                   attnlab::Weights<T> weights);                   // or, with learnable
//      ... forward(scores, mask, weights, std::span<const T> parameters);  // parameters
//
// 2. Forward and a hand-written backward (faster; what the built-ins do):
//
//      void forward(attnlab::ConstMatrixMap scores, const attnlab::HeadMask& mask,
//                   attnlab::MatrixMap weights);
//      void backward(attnlab::ConstMatrixMap scores, attnlab::ConstMatrixMap weights,
//                    const attnlab::HeadMask& mask, attnlab::ConstMatrixMap grad_weights,
//                    attnlab::MatrixMap grad_scores, attnlab::VectorMap grad_parameters);
//
// Either way, optionally:
//
//      explicit MyActivation(const attnlab::Params& params);   // or default ctor
//      std::span<double> parameters();   // learnable parameters (storage)
//
// and register the class with ATTNLAB_ACTIVATION_PLUGIN (see sdk.hpp). A
// class with both a templated forward and a backward uses its backward. The
// adapter below turns the class into the C table of plugin_abi.h: it loops
// over the batch, maps raw buffers to Eigen matrices and converts exceptions
// to statuses. grad_parameters is zeroed before the first sample and
// accumulated by the author (+=) over the batch.
#pragma once

#include <attnlab/plugin_abi.h>
#include <attnlab/sdk/activation_author.hpp>
#include <attnlab/sdk/derived_backward.hpp>
#include <attnlab/sdk/errors.hpp>
#include <attnlab/sdk/params.hpp>
#include <attnlab/sdk/types.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>

namespace attnlab::detail {

// Builds a plugin object from its parameters, rejecting unknown keys.
template <class T>
std::unique_ptr<T> construct_from_params(const char* text) {
  const Params params = Params::parse(text != nullptr ? text : "");
  std::unique_ptr<T> object;
  if constexpr (std::is_constructible_v<T, const Params&>) {
    object = std::make_unique<T>(params);
  } else {
    object = std::make_unique<T>();
  }
  params.require_all_used();
  return object;
}

template <class Activation>
struct ActivationAdapter {
  static constexpr bool kAnalytic = HasAnalyticBackward<Activation>;
  static_assert(kAnalytic || HasDerivableForward<Activation>,
                "an activation plugin class needs either a templated forward<T>(Scores<T>, HeadMask, Weights<T>"
                "[, std::span<const T>]) or a backward(scores, weights, mask, grad_weights, grad_scores, "
                "grad_parameters) member");

  // What the host's void* instance points to: the author's object plus the
  // scratch space of a derived backward.
  struct Instance {
    std::unique_ptr<Activation> activation;
    DerivedBackward derived;
  };

  static Instance& instance_of(void* instance) { return *static_cast<Instance*>(instance); }
  static std::span<double> parameters_of(const void* instance) {
    return learnable_parameters(*static_cast<const Instance*>(instance)->activation);
  }

  static attnlab_status create(const char* params, void** instance, attnlab_error_buffer error) noexcept {
    return guarded_create(error, [&] {
      auto made = std::make_unique<Instance>();
      made->activation = construct_from_params<Activation>(params);
      *instance = made.release();
    });
  }

  static void destroy(void* instance) noexcept { delete static_cast<Instance*>(instance); }

  static std::uint32_t parameter_count(const void* instance) noexcept {
    return static_cast<std::uint32_t>(parameters_of(instance).size());
  }

  static attnlab_status get_parameters(const void* instance, double* out, attnlab_error_buffer error) noexcept {
    return guarded_call(error, [&] {
      const auto params = parameters_of(instance);
      std::copy(params.begin(), params.end(), out);
    });
  }

  static attnlab_status set_parameters(void* instance, const double* values, attnlab_error_buffer error) noexcept {
    return guarded_call(error, [&] {
      const auto params = parameters_of(instance);
      std::copy(values, values + params.size(), params.begin());
    });
  }

  static attnlab_status forward(void* instance, attnlab_score_shape shape, const double* scores,
                                const unsigned char* head_mask, double* weights, attnlab_error_buffer error) noexcept {
    return guarded_call(error, [&] {
      auto& activation = *instance_of(instance).activation;
      const HeadMask mask(head_mask, shape.heads);
      const std::span<const double> parameters = learnable_parameters(activation);
      const std::size_t per_sample = std::size_t{shape.heads} * shape.length;
      for (std::uint32_t b = 0; b < shape.batch; ++b) {
        ConstMatrixMap s(scores + b * per_sample, shape.heads, shape.length);
        MatrixMap a(weights + b * per_sample, shape.heads, shape.length);
        call_forward<double>(activation, s, mask, a, parameters);
      }
    });
  }

  static attnlab_status backward(void* instance, attnlab_score_shape shape, const double* scores, const double* weights,
                                 const unsigned char* head_mask, const double* grad_weights, double* grad_scores,
                                 double* grad_parameters, attnlab_error_buffer error) noexcept {
    return guarded_call(error, [&] {
      Instance& self = instance_of(instance);
      const HeadMask mask(head_mask, shape.heads);
      const auto count = static_cast<Eigen::Index>(parameters_of(instance).size());
      VectorMap grad_params(count > 0 ? grad_parameters : nullptr, count);
      grad_params.setZero();
      const std::size_t per_sample = std::size_t{shape.heads} * shape.length;
      for (std::uint32_t b = 0; b < shape.batch; ++b) {
        const std::size_t offset = b * per_sample;
        ConstMatrixMap s(scores + offset, shape.heads, shape.length);
        ConstMatrixMap ga(grad_weights + offset, shape.heads, shape.length);
        MatrixMap gs(grad_scores + offset, shape.heads, shape.length);
        if constexpr (kAnalytic) {
          ConstMatrixMap a(weights + offset, shape.heads, shape.length);
          self.activation->backward(s, a, mask, ga, gs, grad_params);
        } else {
          self.derived.sample(*self.activation, s, mask, ga, gs, grad_params);
        }
      }
    });
  }
};

template <class Activation>
const attnlab_plugin_descriptor* activation_descriptor(const PluginInfo& info) {
  using Adapter = ActivationAdapter<Activation>;
  static const attnlab_activation_table table{
      sizeof(attnlab_activation_table),
      static_cast<std::uint32_t>(info.normalization),
      &Adapter::create,
      &Adapter::destroy,
      &Adapter::parameter_count,
      &Adapter::get_parameters,
      &Adapter::set_parameters,
      &Adapter::forward,
      &Adapter::backward,
  };
  std::uint64_t capabilities = Adapter::kAnalytic ? ATTNLAB_CAP_ANALYTIC_BACKWARD : ATTNLAB_CAP_DERIVED_BACKWARD;
  if constexpr (HasLearnableParameters<Activation>) capabilities |= ATTNLAB_CAP_LEARNABLE_PARAMETERS;
  static const attnlab_plugin_descriptor descriptor{
      ATTNLAB_ABI_MAJOR,
      ATTNLAB_ABI_MINOR,
      sizeof(attnlab_plugin_descriptor),
      ATTNLAB_KIND_ACTIVATION,
      info.id,
      info.name,
      info.version,
      info.description,
      capabilities,
      &table,
  };
  return &descriptor;
}

}  // namespace attnlab::detail
