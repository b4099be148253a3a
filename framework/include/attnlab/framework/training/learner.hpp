// Multi-head single-location attention: the model every activation is
// compared on.
//
// For a sample X (L tokens of dimension D) with heads h = 1..H:
//   scores s[h,l] = x_l . k_h / sqrt(D) + b_h,   values z[h,l] = x_l . v_h / sqrt(D)
//   A = act(s) (the activation plugin, on the whole H x L matrix)
//   f(X) = sum_h sum_l A[h,l] z[h,l]
// Heads are summed with no output matrix. Keys and values are stored as one
// 2H x D matrix so that a batch needs one product forward and one backward.
#pragma once

#include <attnlab/plugin_abi.h>
#include <attnlab/framework/hosting/activation.hpp>
#include <attnlab/sdk/types.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <span>
#include <vector>

namespace attnlab {

struct LearnerShape {
  std::uint32_t heads = 1;
  std::uint32_t dimension = 1;  // D
  std::uint32_t length = 1;     // L
  bool trainable_bias = true;
};

class Learner {
 public:
  // max_batch: the largest batch train_batch/predict will be given; all
  // scratch space is allocated here, none per step.
  Learner(LearnerShape shape, Activation activation, std::uint32_t max_batch);
  // parameter_groups() points into this object: it stays where it is.
  Learner(const Learner&) = delete;
  Learner& operator=(const Learner&) = delete;

  const LearnerShape& shape() const { return shape_; }
  const Activation& activation() const { return activation_; }

  // Rows 0..H-1 are the keys k_h, rows H..2H-1 the values v_h.
  RowMatrix& keys_and_values() { return keys_and_values_; }
  const RowMatrix& keys_and_values() const { return keys_and_values_; }
  auto keys() const { return keys_and_values_.topRows(shape_.heads); }
  auto values() const { return keys_and_values_.bottomRows(shape_.heads); }
  Eigen::VectorXd& biases() { return biases_; }
  const Eigen::VectorXd& biases() const { return biases_; }
  std::vector<double> activation_parameters() const { return activation_.parameters(); }
  void set_activation_parameters(std::span<const double> values);

  // Empty: all heads active. Otherwise one byte per head, nonzero = active.
  void set_head_mask(std::vector<unsigned char> mask);
  const std::vector<unsigned char>& head_mask() const { return head_mask_; }

  // Forward and backward on a batch; returns sum_b (y_b - f_b)^2 / 2 and
  // leaves its gradient in gradients(). tokens: (batch*L) x D row-major.
  double train_batch(std::span<const double> tokens, std::span<const double> labels, std::uint32_t batch);

  // Predictions for a batch; adds each head's total attention weight summed
  // over the batch to `usage` (H entries) when it is not empty.
  void predict(std::span<const double> tokens, std::uint32_t batch, std::span<double> predictions,
               std::span<double> usage = {});

  // The attention weights A of a batch, [b][h][l] (batch x H x L), under the
  // current head mask: what analyses beyond the prediction need (the output
  // is linear in the values for these fixed weights).
  void attention(std::span<const double> tokens, std::uint32_t batch, std::span<double> weights);

  // Parameter groups in the fixed order keys, values, biases (if trainable),
  // activation parameters (if any); pointers into this learner's storage.
  std::span<attnlab_parameter_group> parameter_groups() { return groups_; }

  // True when every parameter is finite.
  bool parameters_finite() const;

 private:
  void forward(std::span<const double> tokens, std::uint32_t batch);
  void build_parameter_groups();

  LearnerShape shape_;
  Activation activation_;
  std::uint32_t max_batch_;
  double inv_sqrt_dimension_;

  RowMatrix keys_and_values_;  // 2H x D
  Eigen::VectorXd biases_;     // H
  std::vector<double> activation_parameters_;
  std::vector<unsigned char> head_mask_;

  // Gradients, same shapes as the parameters.
  RowMatrix grad_keys_and_values_;
  Eigen::VectorXd grad_biases_;
  std::vector<double> grad_activation_parameters_;
  std::vector<attnlab_parameter_group> groups_;

  // Scratch for one batch.
  RowMatrix transposed_keys_and_values_;  // D x 2H
  RowMatrix projections_;                 // (B*L) x 2H: scores then values, before bias
  std::vector<double> scores_;            // B x H x L
  std::vector<double> weights_;
  std::vector<double> grad_weights_;
  std::vector<double> grad_scores_;
  RowMatrix grad_projections_;  // (B*L) x 2H
  Eigen::VectorXd predictions_;
  Eigen::VectorXd residuals_;
};

}  // namespace attnlab
