// What an activation author's class may offer, and how the SDK calls it:
// the matrices a templated forward sees, the concepts that tell the two
// author styles apart (activation.hpp) and the calls shared by the adapter
// and the derived backward.
#pragma once

#include <attnlab/sdk/tape.hpp>
#include <attnlab/sdk/types.hpp>

#include <Eigen/Core>

#include <concepts>
#include <span>

namespace attnlab {

// Matrices a templated forward sees: row-major H x L maps of doubles, or of
// the scalar type the SDK differentiates with.
template <class T>
using Scores = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
template <class T>
using Weights = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

}  // namespace attnlab

namespace attnlab::detail {

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

// A forward the SDK can differentiate: templated over the scalar type.
template <class T>
concept HasDerivableForward = HasTemplatedForward<T, Taped> || HasTemplatedForwardWithParameters<T, Taped>;

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

}  // namespace attnlab::detail
