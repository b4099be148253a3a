#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/training/learner.hpp>

#include "training/ordered_product.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace attnlab {

Learner::Learner(LearnerShape shape, Activation activation, std::uint32_t max_batch)
    : shape_(shape),
      activation_(std::move(activation)),
      max_batch_(max_batch),
      inv_sqrt_dimension_(1.0 / std::sqrt(static_cast<double>(shape.dimension))),
      keys_and_values_(RowMatrix::Zero(2 * shape.heads, shape.dimension)),
      biases_(Eigen::VectorXd::Zero(shape.heads)),
      activation_parameters_(activation_.parameters()),
      grad_keys_and_values_(RowMatrix::Zero(2 * shape.heads, shape.dimension)),
      grad_biases_(Eigen::VectorXd::Zero(shape.heads)),
      grad_activation_parameters_(activation_parameters_.size(), 0.0) {
  if (shape.heads == 0 || shape.dimension == 0 || shape.length == 0 || max_batch == 0) {
    throw UsageError("learner needs heads, D, L and batch >= 1 (got H = " + std::to_string(shape.heads) +
                     ", D = " + std::to_string(shape.dimension) + ", L = " + std::to_string(shape.length) +
                     ", batch = " + std::to_string(max_batch) + ")");
  }
  const Eigen::Index rows = static_cast<Eigen::Index>(max_batch) * shape.length;
  const std::size_t entries = std::size_t{max_batch} * shape.heads * shape.length;
  transposed_keys_and_values_.resize(shape.dimension, 2 * shape.heads);
  projections_.resize(rows, 2 * shape.heads);
  grad_projections_.resize(rows, 2 * shape.heads);
  scores_.resize(entries);
  weights_.resize(entries);
  grad_weights_.resize(entries);
  grad_scores_.resize(entries);
  predictions_.resize(max_batch);
  residuals_.resize(max_batch);
  build_parameter_groups();
}

void Learner::build_parameter_groups() {
  const std::uint32_t h = shape_.heads;
  const std::uint32_t d = shape_.dimension;
  groups_.clear();
  groups_.push_back({ATTNLAB_GROUP_KEYS, h, d, keys_and_values_.data(), grad_keys_and_values_.data()});
  groups_.push_back({ATTNLAB_GROUP_VALUES, h, d, keys_and_values_.data() + std::size_t{h} * d,
                     grad_keys_and_values_.data() + std::size_t{h} * d});
  if (shape_.trainable_bias) groups_.push_back({ATTNLAB_GROUP_BIASES, 1, h, biases_.data(), grad_biases_.data()});
  if (!activation_parameters_.empty()) {
    groups_.push_back({ATTNLAB_GROUP_ACTIVATION, 1, static_cast<std::uint32_t>(activation_parameters_.size()),
                       activation_parameters_.data(), grad_activation_parameters_.data()});
  }
}

void Learner::set_activation_parameters(std::span<const double> values) {
  activation_.set_parameters(values);
  std::copy(values.begin(), values.end(), activation_parameters_.begin());
}

void Learner::set_head_mask(std::vector<unsigned char> mask) {
  if (!mask.empty() && mask.size() != shape_.heads) {
    throw UsageError("head mask has " + std::to_string(mask.size()) + " entries for " + std::to_string(shape_.heads) +
                     " heads");
  }
  head_mask_ = std::move(mask);
}

bool Learner::parameters_finite() const {
  if (!keys_and_values_.allFinite() || !biases_.allFinite()) return false;
  for (const double p : activation_parameters_) {
    if (!std::isfinite(p)) return false;
  }
  return true;
}

void Learner::forward(std::span<const double> tokens, std::uint32_t batch) {
  const std::uint32_t h_count = shape_.heads;
  const std::uint32_t length = shape_.length;
  const Eigen::Index rows = static_cast<Eigen::Index>(batch) * length;
  if (batch > max_batch_ || tokens.size() != static_cast<std::size_t>(rows) * shape_.dimension) {
    throw UsageError("learner got a batch of " + std::to_string(batch) + " with " + std::to_string(tokens.size()) +
                     " token entries (max batch " + std::to_string(max_batch_) +
                     ", L x D = " + std::to_string(length * shape_.dimension) + ")");
  }
  // The optimizer may have changed the activation's parameters in place.
  if (!activation_parameters_.empty()) activation_.set_parameters(activation_parameters_);

  // P = X W^T with W^T stored D x 2H, so that each token entry multiplies a
  // contiguous row of 2H parameters (ordered_product.hpp).
  transposed_keys_and_values_ = keys_and_values_.transpose();
  const std::size_t outputs = 2 * std::size_t{h_count};
  ordered_product::multiply({.a = tokens.data(),
                             .a_row_stride = shape_.dimension,
                             .a_column_stride = 1,
                             .b = transposed_keys_and_values_.data(),
                             .b_stride = outputs,
                             .out = projections_.data(),
                             .out_stride = outputs,
                             .rows = static_cast<std::size_t>(rows),
                             .depth = shape_.dimension,
                             .columns = outputs});
  auto projections = projections_.topRows(rows);
  projections *= inv_sqrt_dimension_;

  // Scores to the activation's layout [b][h][l].
  for (std::uint32_t b = 0; b < batch; ++b) {
    for (std::uint32_t h = 0; h < h_count; ++h) {
      double* out = &scores_[(std::size_t{b} * h_count + h) * length];
      for (std::uint32_t l = 0; l < length; ++l) out[l] = projections(b * length + l, h) + biases_[h];
    }
  }
  const ScoreShape score_shape{batch, h_count, length};
  const std::size_t entries = score_shape.size();
  activation_.forward(score_shape, std::span<const double>(scores_.data(), entries), head_mask_,
                      std::span<double>(weights_.data(), entries));

  // A masked head leaves the sum outright (its weights are 0 anyway for a
  // plugin that passes check-plugin; this does not depend on it).
  for (std::uint32_t b = 0; b < batch; ++b) {
    double f = 0.0;
    for (std::uint32_t h = 0; h < h_count; ++h) {
      if (!head_mask_.empty() && head_mask_[h] == 0) continue;
      const double* a = &weights_[(std::size_t{b} * h_count + h) * length];
      for (std::uint32_t l = 0; l < length; ++l) f += a[l] * projections(b * length + l, h_count + h);
    }
    predictions_[b] = f;
  }
}

double Learner::train_batch(std::span<const double> tokens, std::span<const double> labels, std::uint32_t batch) {
  if (labels.size() != batch) {
    throw UsageError("learner got " + std::to_string(labels.size()) + " labels for a batch of " +
                     std::to_string(batch));
  }
  forward(tokens, batch);
  const std::uint32_t h_count = shape_.heads;
  const std::uint32_t length = shape_.length;
  const Eigen::Index rows = static_cast<Eigen::Index>(batch) * length;
  auto projections = projections_.topRows(rows);
  auto grad_projections = grad_projections_.topRows(rows);

  double loss = 0.0;
  for (std::uint32_t b = 0; b < batch; ++b) {
    residuals_[b] = predictions_[b] - labels[b];
    loss += 0.5 * residuals_[b] * residuals_[b];
  }

  // d loss / d A[b,h,l] = r_b z[b,h,l];  d loss / d z[b,h,l] = r_b A[b,h,l].
  for (std::uint32_t b = 0; b < batch; ++b) {
    for (std::uint32_t h = 0; h < h_count; ++h) {
      const std::size_t offset = (std::size_t{b} * h_count + h) * length;
      for (std::uint32_t l = 0; l < length; ++l) {
        const Eigen::Index row = b * length + l;
        grad_weights_[offset + l] = residuals_[b] * projections(row, h_count + h);
        grad_projections(row, h_count + h) = residuals_[b] * weights_[offset + l];
      }
    }
  }
  const ScoreShape score_shape{batch, h_count, length};
  const std::size_t entries = score_shape.size();
  activation_.backward(score_shape, std::span<const double>(scores_.data(), entries),
                       std::span<const double>(weights_.data(), entries), head_mask_,
                       std::span<const double>(grad_weights_.data(), entries),
                       std::span<double>(grad_scores_.data(), entries), grad_activation_parameters_);

  grad_biases_.setZero();
  for (std::uint32_t b = 0; b < batch; ++b) {
    for (std::uint32_t h = 0; h < h_count; ++h) {
      const double* gs = &grad_scores_[(std::size_t{b} * h_count + h) * length];
      for (std::uint32_t l = 0; l < length; ++l) {
        grad_projections(b * length + l, h) = gs[l];
        grad_biases_[h] += gs[l];
      }
    }
  }
  // Keys and values: d loss / d W = dP^T X / sqrt(D), one product for both.
  const std::size_t outputs = 2 * std::size_t{h_count};
  ordered_product::multiply({.a = grad_projections_.data(),  // read transposed: a(j, row) = dP(row, j)
                             .a_row_stride = 1,
                             .a_column_stride = outputs,
                             .b = tokens.data(),
                             .b_stride = shape_.dimension,
                             .out = grad_keys_and_values_.data(),
                             .out_stride = shape_.dimension,
                             .rows = outputs,
                             .depth = static_cast<std::size_t>(rows),
                             .columns = shape_.dimension});
  grad_keys_and_values_ *= inv_sqrt_dimension_;
  return loss;
}

void Learner::predict(std::span<const double> tokens, std::uint32_t batch, std::span<double> predictions,
                      std::span<double> usage) {
  forward(tokens, batch);
  if (predictions.size() != batch) throw UsageError("prediction buffer does not match the batch");
  for (std::uint32_t b = 0; b < batch; ++b) predictions[b] = predictions_[b];
  if (usage.empty()) return;
  if (usage.size() != shape_.heads) throw UsageError("usage buffer needs one entry per head");
  const std::uint32_t length = shape_.length;
  for (std::uint32_t b = 0; b < batch; ++b) {
    for (std::uint32_t h = 0; h < shape_.heads; ++h) {
      const double* a = &weights_[(std::size_t{b} * shape_.heads + h) * length];
      for (std::uint32_t l = 0; l < length; ++l) usage[h] += a[l];
    }
  }
}

void Learner::attention(std::span<const double> tokens, std::uint32_t batch, std::span<double> weights) {
  forward(tokens, batch);
  const std::size_t entries = std::size_t{batch} * shape_.heads * shape_.length;
  if (weights.size() != entries) throw UsageError("attention buffer needs batch x H x L entries");
  std::copy(weights_.begin(), weights_.begin() + static_cast<std::ptrdiff_t>(entries), weights.begin());
}

}  // namespace attnlab
