// C++ author layer for activation plugins.
//
// An author writes a class in one of two styles (per sample, H x L matrices):
//
// 1. Forward only, as a template over the scalar type; the SDK derives an
//    exact backward with forward-mode dual numbers (dual.hpp):
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
#include <attnlab/sdk/dual.hpp>
#include <attnlab/sdk/errors.hpp>
#include <attnlab/sdk/params.hpp>
#include <attnlab/sdk/types.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <vector>

namespace attnlab {

// Matrices a templated forward sees: row-major H x L maps of doubles or duals.
template <class T>
using Scores = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
template <class T>
using Weights = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

}  // namespace attnlab

namespace attnlab::detail {

// Tangent lanes per dual pass of a derived backward: a pass yields this many
// Jacobian columns; 8 doubles keep the tangent loop vectorizable.
inline constexpr int kDerivedLanes = 8;
using BackwardDual = Dual<kDerivedLanes>;

template <class T>
concept HasLearnableParameters = requires(T& t) {
  { t.parameters() } -> std::convertible_to<std::span<double>>;
};

template <class T>
concept HasAnalyticBackward = requires(T& t, ConstMatrixMap s, const HeadMask& m, MatrixMap g, VectorMap p) {
  t.backward(s, s, m, s, g, p);
};

template <class T, class Scalar>
concept HasTemplatedForward = requires(T& t, Scores<Scalar> s, const HeadMask& m, Weights<Scalar> a) {
  t.forward(s, m, a);
};

template <class T, class Scalar>
concept HasTemplatedForwardWithParameters = requires(T& t, Scores<Scalar> s, const HeadMask& m, Weights<Scalar> a,
                                                     std::span<const Scalar> p) {
  t.forward(s, m, a, p);
};

template <class T>
concept HasDerivableForward =
    HasTemplatedForward<T, BackwardDual> || HasTemplatedForwardWithParameters<T, BackwardDual>;

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
std::span<double> learnable_parameters(Activation& activation) {
  if constexpr (HasLearnableParameters<Activation>) {
    return activation.parameters();
  } else {
    return {};
  }
}

// Calls the author's forward for one sample with scalar type T.
template <class T, class Activation>
void call_forward(Activation& activation, Scores<T> scores, const HeadMask& mask, Weights<T> weights,
                  std::span<const T> parameters) {
  if constexpr (HasTemplatedForwardWithParameters<Activation, T>) {
    activation.forward(scores, mask, weights, parameters);
  } else {
    activation.forward(scores, mask, weights);
  }
}

// The backward of one sample by forward-mode differentiation.
//
// General path: each pass seeds kDerivedLanes of the H*L + P inputs (scores,
// then parameters) with unit tangents, reruns the forward on duals and
// contracts the resulting Jacobian columns with grad_weights: ceil((H*L +
// P) / 8) passes, about 30x the forward for H = 4, L = 16.
//
// Structured path (why: most activations act per head, many per element, and
// then far fewer tangent lanes carry the whole Jacobian). If the Jacobian is
// block-diagonal per head, lane j can carry the tangent of column j in every
// row at once: row h of the result, lane j, is d weight(h, .) / d score(h, j),
// since rows do not interact. If it is diagonal (elementwise activations),
// one lane seeded on every score gives d weight(h, l) / d score(h, l). So a
// sample needs colors + P lanes (colors = L per head, 1 per element) instead
// of H*L + P. The SDK cannot assume the structure, so every structured
// sample carries one more lane that verifies it: each score is seeded with a
// fixed pseudo-random weight r(h, j), whose result must equal what the
// assumed structure predicts from the other lanes, sum over colors k of
// r(input of color k that weight (h, i) may depend on) * lane k. A coupling
// the structure leaves out breaks that equality (unless it cancels against
// the random weights, which has probability zero), and then the sample is
// redone on the next coarser structure (element -> head -> general), where
// the rest of the call (batch) stays. Samples with non-finite values take
// the general path. Lanes are taken as Dual<16> passes, then one Dual<8> or Dual<4>:
// for H = 4, L = 16 and one parameter a per-head activation takes a pass of
// 16 and one of 4 instead of 9 passes of 8, an elementwise one a single pass
// of 4.
//
// Why forward mode and not a reverse-mode tape, which would give the whole
// vector-Jacobian product in one sweep without assuming any structure: the
// tape needs a second scalar type that every author's forward must also
// compile with, and per-operation recording; the duals are already what
// authors write against and what check-plugin verifies. The price is that a
// per-head activation still costs about L / 8 dual passes: measured (bench
// derived_backward, docs/PERFORMANCE.md) about 3x the forward for an
// elementwise activation and 10-15x for a per-head softmax with L = 16,
// against about 30x before.
//
// Buffers grow once per shape, so the training loop does not allocate.
class DerivedBackward {
 public:
  // The Jacobian structures tried, finest first.
  enum class Structure { PerElement, PerHead, General };

  // `first`: the finest structure to try (General: the plain path, which
  // tests use as the reference).
  explicit DerivedBackward(Structure first = Structure::PerElement) : first_(first), structure_(first) {}

  // Starts a call (a batch) from the finest structure again, so that what a
  // call computes depends on its inputs only, not on earlier calls: results
  // stay bit-identical on a fresh instance and after resuming from a
  // checkpoint, even for a forward that couples heads on some inputs only.
  void start_call() { structure_ = first_; }

  // Which structure the next sample tries first (for tests and diagnostics).
  Structure structure() const { return structure_; }

  template <class Activation>
  void sample(Activation& activation, ConstMatrixMap scores, const HeadMask& mask, ConstMatrixMap grad_weights,
              MatrixMap grad_scores, VectorMap grad_parameters) {
    const Eigen::Index score_count = scores.rows() * scores.cols();
    const auto parameter_count = static_cast<Eigen::Index>(learnable_parameters(activation).size());
    while (structure_ != Structure::General) {
      const Eigen::Index colors = structure_ == Structure::PerElement ? 1 : scores.cols();
      // The verifying lane makes one more; no gain for a single head per sample.
      if (colors + parameter_count + 1 >= score_count + parameter_count) break;
      if (!scores.allFinite()) break;
      const Outcome outcome = structured(activation, scores, mask, grad_weights, grad_scores, grad_parameters);
      if (outcome == Outcome::Verified) return;
      if (outcome == Outcome::NotFinite) break;
      structure_ = structure_ == Structure::PerElement ? Structure::PerHead : Structure::General;
    }
    general(activation, scores, mask, grad_weights, grad_scores, grad_parameters);
  }

 private:
  enum class Outcome { Verified, Coupled, NotFinite };

  template <int N>
  struct Scratch {
    Eigen::Matrix<Dual<N>, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> scores;
    Eigen::Matrix<Dual<N>, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> weights;
    std::vector<Dual<N>> parameters;
  };

  template <class Activation>
  void general(Activation& activation, ConstMatrixMap scores, const HeadMask& mask, ConstMatrixMap grad_weights,
               MatrixMap grad_scores, VectorMap grad_parameters) {
    auto& scratch = std::get<Scratch<kDerivedLanes>>(scratch_);
    const Eigen::Index rows = scores.rows();
    const Eigen::Index cols = scores.cols();
    const Eigen::Index score_count = rows * cols;
    const std::span<double> parameters = learnable_parameters(activation);
    const auto parameter_count = static_cast<Eigen::Index>(parameters.size());
    const Eigen::Index inputs = score_count + parameter_count;
    scratch.scores.resize(rows, cols);
    scratch.weights.resize(rows, cols);
    scratch.parameters.resize(parameters.size());

    for (Eigen::Index first = 0; first < inputs; first += kDerivedLanes) {
      for (Eigen::Index i = 0; i < score_count; ++i) scratch.scores.data()[i] = BackwardDual(scores.data()[i]);
      for (Eigen::Index p = 0; p < parameter_count; ++p) scratch.parameters[p] = BackwardDual(parameters[p]);
      const Eigen::Index lanes = std::min<Eigen::Index>(kDerivedLanes, inputs - first);
      for (Eigen::Index lane = 0; lane < lanes; ++lane) {
        const Eigen::Index input = first + lane;
        BackwardDual& seeded =
            input < score_count ? scratch.scores.data()[input] : scratch.parameters[input - score_count];
        seeded.d[lane] = 1.0;
      }

      run_forward<kDerivedLanes>(activation, scratch, mask, rows, cols);

      std::array<double, kDerivedLanes> contracted{};
      for (Eigen::Index i = 0; i < score_count; ++i) {
        const double g = grad_weights.data()[i];
        const auto& tangents = scratch.weights.data()[i].d;
        for (int lane = 0; lane < kDerivedLanes; ++lane) contracted[lane] += g * tangents[lane];
      }
      for (Eigen::Index lane = 0; lane < lanes; ++lane) {
        const Eigen::Index input = first + lane;
        if (input < score_count) {
          grad_scores.data()[input] = contracted[lane];
        } else {
          grad_parameters[input - score_count] += contracted[lane];
        }
      }
    }
  }

  template <int N, class Activation>
  void run_forward(Activation& activation, Scratch<N>& scratch, const HeadMask& mask, Eigen::Index rows,
                   Eigen::Index cols) {
    call_forward<Dual<N>>(activation, Scores<Dual<N>>(scratch.scores.data(), rows, cols), mask,
                          Weights<Dual<N>>(scratch.weights.data(), rows, cols),
                          std::span<const Dual<N>>(scratch.parameters.data(), scratch.parameters.size()));
  }

  // Lanes, in order: the colors (column j, or the one element color), the
  // parameters, the verifying lane. Passes of 16 lanes while more than 8
  // remain, then one of 8 or 4: a pass's value computation costs about as
  // much as 8 lanes, and wider duals measured slower per lane.
  template <class Activation>
  Outcome structured(Activation& activation, ConstMatrixMap scores, const HeadMask& mask, ConstMatrixMap grad_weights,
                     MatrixMap grad_scores, VectorMap grad_parameters) {
    const Eigen::Index score_count = scores.rows() * scores.cols();
    const auto parameter_count = static_cast<Eigen::Index>(learnable_parameters(activation).size());
    const Eigen::Index colors = structure_ == Structure::PerElement ? 1 : scores.cols();
    const Eigen::Index lanes = colors + parameter_count + 1;
    if (probe_.size() != score_count) {
      probe_.resize(score_count);
      std::uint64_t state = 0x9e3779b97f4a7c15ULL;
      for (Eigen::Index i = 0; i < score_count; ++i) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        probe_[i] = 0.5 + static_cast<double>(state >> 11) * 0x1.0p-53;  // in [0.5, 1.5)
      }
    }
    predicted_.setZero(score_count);
    magnitude_.setZero(score_count);
    checked_.resize(score_count);
    parameter_gradient_.setZero(parameter_count);
    grad_scores.setZero();  // sums over the outputs, pass by pass

    for (Eigen::Index first = 0; first < lanes;) {
      const Eigen::Index remaining = lanes - first;
      if (remaining > 8) {
        first = pass<16>(activation, scores, mask, grad_weights, grad_scores, first, colors, lanes);
      } else if (remaining > 4) {
        first = pass<8>(activation, scores, mask, grad_weights, grad_scores, first, colors, lanes);
      } else {
        first = pass<4>(activation, scores, mask, grad_weights, grad_scores, first, colors, lanes);
      }
    }

    for (Eigen::Index i = 0; i < score_count; ++i) {
      const double error = std::fabs(checked_[i] - predicted_[i]);
      if (!std::isfinite(error)) return Outcome::NotFinite;
      if (error > 1e-10 * (magnitude_[i] + std::fabs(checked_[i])) + 1e-300) return Outcome::Coupled;
    }
    grad_parameters += parameter_gradient_;
    return Outcome::Verified;
  }

  // One dual pass over lanes [first, first + N); returns the next lane.
  template <int N, class Activation>
  Eigen::Index pass(Activation& activation, ConstMatrixMap scores, const HeadMask& mask, ConstMatrixMap grad_weights,
                    MatrixMap grad_scores, Eigen::Index first, Eigen::Index colors, Eigen::Index lanes) {
    auto& scratch = std::get<Scratch<N>>(scratch_);
    const bool per_element = structure_ == Structure::PerElement;
    const Eigen::Index rows = scores.rows();
    const Eigen::Index cols = scores.cols();
    const Eigen::Index score_count = rows * cols;
    const std::span<double> parameters = learnable_parameters(activation);
    const auto parameter_count = static_cast<Eigen::Index>(parameters.size());
    const Eigen::Index check_lane = colors + parameter_count;
    scratch.scores.resize(rows, cols);
    scratch.weights.resize(rows, cols);
    scratch.parameters.resize(parameters.size());

    const Eigen::Index last = std::min<Eigen::Index>(first + N, lanes);
    for (Eigen::Index i = 0; i < score_count; ++i) scratch.scores.data()[i] = Dual<N>(scores.data()[i]);
    for (Eigen::Index p = 0; p < parameter_count; ++p) scratch.parameters[p] = Dual<N>(parameters[p]);
    for (Eigen::Index lane = first; lane < last; ++lane) {
      const Eigen::Index k = lane - first;
      if (lane < colors) {
        for (Eigen::Index h = 0; h < rows; ++h) {
          if (per_element) {
            for (Eigen::Index j = 0; j < cols; ++j) scratch.scores(h, j).d[k] = 1.0;
          } else {
            scratch.scores(h, lane).d[k] = 1.0;
          }
        }
      } else if (lane < check_lane) {
        scratch.parameters[lane - colors].d[k] = 1.0;
      } else {
        for (Eigen::Index i = 0; i < score_count; ++i) scratch.scores.data()[i].d[k] = probe_[i];
      }
    }

    run_forward<N>(activation, scratch, mask, rows, cols);

    const Eigen::Index color_end = std::min(last, colors);
    const Eigen::Index parameter_end = std::min(last, check_lane);
    for (Eigen::Index h = 0; h < rows; ++h) {
      for (Eigen::Index i = 0; i < cols; ++i) {
        const Eigen::Index at = h * cols + i;
        const double g = grad_weights.data()[at];
        const auto& d = scratch.weights.data()[at].d;
        for (Eigen::Index lane = first; lane < color_end; ++lane) {
          const double t = d[lane - first];
          // The one input of this color that weight (h, i) may depend on.
          const Eigen::Index input = per_element ? at : h * cols + lane;
          grad_scores.data()[input] += g * t;
          predicted_[at] += probe_[input] * t;
          magnitude_[at] += std::fabs(probe_[input] * t);
        }
        for (Eigen::Index lane = std::max(first, colors); lane < parameter_end; ++lane) {
          parameter_gradient_[lane - colors] += g * d[lane - first];
        }
        if (last == lanes) checked_[at] = d[check_lane - first];
      }
    }
    return last;
  }

  Structure first_;
  Structure structure_;
  std::tuple<Scratch<4>, Scratch<8>, Scratch<16>> scratch_;
  Eigen::VectorXd probe_;      // r(h, j): the verifying lane's seeds
  Eigen::VectorXd predicted_;  // its result as the structure predicts it
  Eigen::VectorXd magnitude_;  // sum of the predicted terms' magnitudes
  Eigen::VectorXd checked_;    // its result
  Eigen::VectorXd parameter_gradient_;
};

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
      if constexpr (!kAnalytic) self.derived.start_call();
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
