// The backward of an activation written as a templated forward only.
//
// Reverse mode over a recorded evaluation (tape.hpp): the forward runs once
// per sample on taped scalars, the adjoints of the weights are set to
// grad_weights, and one sweep back over the tape yields grad_scores and the
// parameters' gradient. Exact (no step size), and whatever the structure of
// the Jacobian it costs about one recorded forward plus one sweep.
//
// Why not forward mode (dual.hpp), which this replaced: a dual pass yields
// Jacobian columns, so a per-head activation needed L tangent lanes per row
// even when exploiting its block structure (measured 12.7x the forward for a
// per-head softmax, L = 16); reverse mode needs one evaluation for the whole
// vector-Jacobian product, which is what a backward is.
//
// The tape and the matrices grow once per shape, so the training loop does
// not allocate.
#pragma once

#include <attnlab/sdk/activation_author.hpp>
#include <attnlab/sdk/tape.hpp>
#include <attnlab/sdk/types.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <span>
#include <vector>

namespace attnlab::detail {

class DerivedBackward {
 public:
  // One sample: grad_scores is overwritten, grad_parameters accumulated (+=).
  template <class Activation>
  void sample(Activation& activation, ConstMatrixMap scores, const HeadMask& mask, ConstMatrixMap grad_weights,
              MatrixMap grad_scores, VectorMap grad_parameters) {
    const Eigen::Index rows = scores.rows();
    const Eigen::Index cols = scores.cols();
    const Eigen::Index score_count = rows * cols;
    const std::span<double> parameters = learnable_parameters(activation);

    // Inputs are nodes 1 .. score_count (scores), then the parameters.
    tape_.clear();
    scores_.resize(rows, cols);
    weights_.resize(rows, cols);
    parameters_.resize(parameters.size());
    const auto parameter_count = static_cast<std::int32_t>(parameters.size());
    const std::int32_t first = tape_.inputs(static_cast<std::int32_t>(score_count) + parameter_count);
    for (Eigen::Index i = 0; i < score_count; ++i) {
      scores_.data()[i] = Taped(scores.data()[i], first + static_cast<std::int32_t>(i), &tape_);
    }
    for (std::int32_t p = 0; p < parameter_count; ++p) {
      parameters_[static_cast<std::size_t>(p)] =
          Taped(parameters[static_cast<std::size_t>(p)], first + static_cast<std::int32_t>(score_count) + p, &tape_);
    }
    weights_.setConstant(Taped(0.0));

    call_forward<Taped>(activation, Scores<Taped>(scores_.data(), rows, cols), mask,
                        Weights<Taped>(weights_.data(), rows, cols),
                        std::span<const Taped>(parameters_.data(), parameters_.size()));

    adjoint_.assign(tape_.size(), 0.0);
    for (Eigen::Index i = 0; i < score_count; ++i) {
      // += : two weights may be the same node (or an input itself).
      adjoint_[static_cast<std::size_t>(weights_.data()[i].index)] += grad_weights.data()[i];
    }
    adjoint_[0] = 0.0;  // weights that are constants point at the sink
    tape_.propagate(adjoint_);
    for (Eigen::Index i = 0; i < score_count; ++i) grad_scores.data()[i] = adjoint_[static_cast<std::size_t>(i + 1)];
    for (std::size_t p = 0; p < parameters.size(); ++p) {
      grad_parameters[static_cast<Eigen::Index>(p)] += adjoint_[static_cast<std::size_t>(score_count) + 1 + p];
    }
  }

 private:
  Tape tape_;
  Eigen::Matrix<Taped, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> scores_;
  Eigen::Matrix<Taped, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> weights_;
  std::vector<Taped> parameters_;
  std::vector<double> adjoint_;
};

}  // namespace attnlab::detail
