// The right-hand side of the high-dimensional limit: d/dt of the order
// parameters, biases and activation parameters, as a Monte Carlo expectation
// over the fields of one sample, computed through the activation plugin's
// own forward and backward (docs/THEORY.md has the equations).
//
// Common random numbers: a FieldSample is drawn once and reused at every
// evaluation, so the right-hand side is a smooth deterministic function of
// the state (the Monte Carlo error is a fixed bias, measured by rerunning
// with other draws) and an adaptive integrator can work on it.
#pragma once

#include <attnlab/framework/hosting/activation.hpp>
#include <attnlab/framework/theory/field_sample.hpp>
#include <attnlab/framework/theory/limit_steps.hpp>
#include <attnlab/framework/theory/order_parameters.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace attnlab {

struct LimitMeasurement {
  double risk = 0.0;      // E[(f - y)^2], label noise included: the population test error
  Eigen::VectorXd usage;  // H: E[sum_l A[h,l]]
};

class LimitDynamics {
 public:
  // `activation` is used from one thread at a time and outlives this object.
  LimitDynamics(Activation& activation, const LimitSteps& steps, bool trainable_bias);

  // d/dt of every part of `at`, estimated on `sample`, with every learning
  // rate times `factor` (the schedule's, at this time); `rate` gets the
  // shape of `at`.
  void rate(const OrderParameters& at, const FieldSample& sample, OrderParameters& rate, double factor = 1.0);

  LimitMeasurement measure(const OrderParameters& at, const FieldSample& sample);

 private:
  // Fields, weights, residuals and (with_gradients) the coefficients c of
  // samples [first, first + count) at `at`.
  void forward_chunk(const OrderParameters& at, const FieldSample& sample, std::uint32_t first, std::uint32_t count,
                     bool with_gradients);
  void prepare(const OrderParameters& at);

  Activation& activation_;
  LimitSteps steps_;
  bool trainable_bias_;

  RowMatrix conditional_root_;  // symmetric root of Q - M M^T
  // Scratch for one chunk.
  RowMatrix student_fields_;  // (chunk*L) x 2H
  RowMatrix coefficients_;    // (chunk*L) x 2H: c = dF/d(field) for keys (G) and values (A)
  RowMatrix scaled_;          // (chunk*L) x 2H
  std::vector<double> scores_, values_, weights_, grad_scores_, grad_weights_, grad_parameters_;
  Eigen::VectorXd residuals_;  // chunk: f - E[y | fields]
};

}  // namespace attnlab
