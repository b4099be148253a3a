#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/theory/limit_dynamics.hpp>

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>

namespace attnlab {
namespace {

// Samples per call of the activation plugin: large enough that a call's
// overhead does not matter, small enough that the scratch stays in cache.
constexpr std::uint32_t kChunk = 256;

}  // namespace

LimitDynamics::LimitDynamics(Activation& activation, const LimitSteps& steps, bool trainable_bias)
    : activation_(activation), steps_(steps), trainable_bias_(trainable_bias) {}

// The student fields of a token given its teacher fields chi* are
// M chi* + (Q - M M^T)^{1/2} n: the symmetric root, clipped at 0, is a
// smooth function of the state (a one-sided root is not, and Monte Carlo
// noise can push the smallest eigenvalue slightly below 0).
void LimitDynamics::prepare(const OrderParameters& at) {
  RowMatrix conditional = at.gram() - at.teacher_overlaps() * at.teacher_overlaps().transpose();
  conditional = (0.5 * (conditional + conditional.transpose())).eval();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(conditional);
  if (eigen.info() != Eigen::Success) throw std::runtime_error("the conditional covariance has no eigendecomposition");
  const Eigen::VectorXd roots = eigen.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  conditional_root_ = eigen.eigenvectors() * roots.asDiagonal() * eigen.eigenvectors().transpose();
  if (!at.activation_parameters.empty()) activation_.set_parameters(at.activation_parameters);
}

void LimitDynamics::forward_chunk(const OrderParameters& at, const FieldSample& sample, std::uint32_t first,
                                  std::uint32_t count, bool with_gradients) {
  const std::uint32_t heads = at.heads;
  const std::uint32_t length = sample.length;
  const Eigen::Index rows = static_cast<Eigen::Index>(count) * length;
  const Eigen::Index start = static_cast<Eigen::Index>(first) * length;
  student_fields_.resize(rows, at.students());
  // Inner dimensions are T and 2H (a few): coefficient-wise products beat
  // blocked ones, whose packing costs more than the arithmetic.
  student_fields_.noalias() =
      sample.teacher_fields.middleRows(start, rows).lazyProduct(at.teacher_overlaps().transpose());
  student_fields_.noalias() += sample.normals.middleRows(start, rows).lazyProduct(conditional_root_);

  const std::size_t size = std::size_t{count} * heads * length;
  scores_.resize(size);
  values_.resize(size);
  weights_.resize(size);
  grad_scores_.resize(size);
  for (std::uint32_t b = 0; b < count; ++b) {
    for (std::uint32_t h = 0; h < heads; ++h) {
      const std::size_t offset = (std::size_t{b} * heads + h) * length;
      for (std::uint32_t l = 0; l < length; ++l) {
        const Eigen::Index row = static_cast<Eigen::Index>(b) * length + l;
        scores_[offset + l] = student_fields_(row, h) + at.biases[h];
        values_[offset + l] = student_fields_(row, heads + h);
      }
    }
  }
  const ScoreShape shape{count, heads, length};
  activation_.forward(shape, scores_, {}, weights_);
  if (with_gradients) {
    grad_parameters_.resize(activation_.parameter_count());
    // Upstream gradient zeta: G[h,l] = df/ds[h,l].
    activation_.backward(shape, scores_, weights_, {}, values_, grad_scores_, grad_parameters_);
  }

  residuals_.resize(count);
  coefficients_.resize(rows, at.students());
  for (std::uint32_t b = 0; b < count; ++b) {
    double prediction = 0.0;
    for (std::uint32_t h = 0; h < heads; ++h) {
      const std::size_t offset = (std::size_t{b} * heads + h) * length;
      for (std::uint32_t l = 0; l < length; ++l) {
        const Eigen::Index row = static_cast<Eigen::Index>(b) * length + l;
        prediction += weights_[offset + l] * values_[offset + l];
        if (with_gradients) {
          coefficients_(row, h) = grad_scores_[offset + l];
          coefficients_(row, heads + h) = weights_[offset + l];
        }
      }
    }
    residuals_[b] = prediction - sample.label_means[first + b];
  }
}

void LimitDynamics::rate(const OrderParameters& at, const FieldSample& sample, OrderParameters& rate, double factor) {
  prepare(at);
  const Eigen::Index students = at.students();
  const Eigen::Index columns = at.student.cols();
  const std::uint32_t length = sample.length;
  RowMatrix first_order = RowMatrix::Zero(students, columns);    // E[e sum_l c_i phi_j]
  RowMatrix second_order = RowMatrix::Zero(students, students);  // E[e^2 sum_l c_i c_j], label noise included
  Eigen::VectorXd bias_gradient = Eigen::VectorXd::Zero(at.heads);
  std::vector<double> parameter_gradient(at.activation_parameters.size(), 0.0);

  for (std::uint32_t first = 0; first < sample.count; first += kChunk) {
    const std::uint32_t count = std::min(kChunk, sample.count - first);
    forward_chunk(at, sample, first, count, true);
    const Eigen::Index rows = static_cast<Eigen::Index>(count) * length;
    const Eigen::Index start = static_cast<Eigen::Index>(first) * length;

    scaled_.resize(rows, students);
    for (std::uint32_t b = 0; b < count; ++b) {
      scaled_.middleRows(static_cast<Eigen::Index>(b) * length, length) =
          residuals_[b] * coefficients_.middleRows(static_cast<Eigen::Index>(b) * length, length);
    }
    first_order.leftCols(students).noalias() += scaled_.transpose() * student_fields_;
    first_order.rightCols(at.teachers).noalias() += scaled_.transpose() * sample.teacher_fields.middleRows(start, rows);
    bias_gradient += scaled_.leftCols(at.heads).colwise().sum().transpose();

    if (!parameter_gradient.empty()) {
      // The parameters' gradient is summed over the batch inside the plugin,
      // so the per-sample residual goes into the upstream gradient.
      grad_weights_.resize(values_.size());
      const std::size_t per_sample = std::size_t{at.heads} * length;
      for (std::uint32_t b = 0; b < count; ++b) {
        for (std::size_t k = 0; k < per_sample; ++k) {
          grad_weights_[b * per_sample + k] = residuals_[b] * values_[b * per_sample + k];
        }
      }
      activation_.backward({count, at.heads, length}, scores_, weights_, {}, grad_weights_, grad_scores_,
                           grad_parameters_);
      for (std::size_t k = 0; k < parameter_gradient.size(); ++k) parameter_gradient[k] += grad_parameters_[k];
    }

    for (std::uint32_t b = 0; b < count; ++b) {
      const double weight = std::sqrt(residuals_[b] * residuals_[b] + sample.label_noise_variances[first + b]);
      scaled_.middleRows(static_cast<Eigen::Index>(b) * length, length) =
          weight * coefficients_.middleRows(static_cast<Eigen::Index>(b) * length, length);
    }
    second_order.noalias() += scaled_.transpose() * scaled_;
  }
  const double inverse_count = 1.0 / sample.count;
  first_order *= inverse_count;
  second_order *= inverse_count;

  // w_i <- w_i - eta e sum_l c_il x_l / sqrt(D), per sample, with t = samples / D.
  const double eta = factor * steps_.eta;
  rate.heads = at.heads;
  rate.teachers = at.teachers;
  rate.student.resize(students, columns);
  rate.student.leftCols(students) =
      -eta * (first_order.leftCols(students) + first_order.leftCols(students).transpose()) +
      (steps_.gradient_flow ? 0.0 : eta * eta) * second_order;
  rate.student.rightCols(at.teachers) = -eta * first_order.rightCols(at.teachers);
  if (steps_.sphere) {
    // Rescaling w_i to its norm after each step subtracts Omega_ij (rho_i + rho_j) / 2
    // with rho_i = (dQ_ii/dt) / Q_ii before projection (0 for teacher columns).
    Eigen::VectorXd rho(students);
    for (Eigen::Index i = 0; i < students; ++i) rho[i] = rate.student(i, i) / at.student(i, i);
    for (Eigen::Index i = 0; i < students; ++i) {
      for (Eigen::Index j = 0; j < columns; ++j) {
        const double rho_j = j < students ? rho[j] : 0.0;
        rate.student(i, j) -= at.student(i, j) * 0.5 * (rho[i] + rho_j);
      }
    }
  }
  rate.biases = trainable_bias_ ? Eigen::VectorXd(-factor * steps_.bias_eta * inverse_count * bias_gradient)
                                : Eigen::VectorXd(Eigen::VectorXd::Zero(at.heads));
  rate.activation_parameters.resize(parameter_gradient.size());
  for (std::size_t k = 0; k < parameter_gradient.size(); ++k) {
    rate.activation_parameters[k] = -factor * steps_.activation_eta * inverse_count * parameter_gradient[k];
  }
}

LimitMeasurement LimitDynamics::measure(const OrderParameters& at, const FieldSample& sample) {
  prepare(at);
  LimitMeasurement result;
  result.usage = Eigen::VectorXd::Zero(at.heads);
  double squared = 0.0;
  for (std::uint32_t first = 0; first < sample.count; first += kChunk) {
    const std::uint32_t count = std::min(kChunk, sample.count - first);
    forward_chunk(at, sample, first, count, false);
    for (std::uint32_t b = 0; b < count; ++b) {
      squared += residuals_[b] * residuals_[b] + sample.label_noise_variances[first + b];
    }
    const std::size_t length = sample.length;
    for (std::size_t k = 0; k < weights_.size(); ++k)
      result.usage[static_cast<Eigen::Index>((k / length) % at.heads)] += weights_[k];
  }
  result.risk = squared / sample.count;
  result.usage /= sample.count;
  return result;
}

}  // namespace attnlab
