// Refitting a trained learner's values by least squares, keys held fixed.
//
// With keys, biases and activation parameters fixed the attention weights A
// are fixed, and the output is linear in the values (learner.hpp):
//   f(X) = sum_h v_h . u_h(X),   u_h(X) = sum_l A[h,l] x_l / sqrt(D).
// So the values that minimize the mean squared error on a sample solve the
// normal equations G v = m with G = sum_b phi_b phi_b^T, m = sum_b phi_b y_b,
// phi_b the active heads' u_h(X_b) stacked. A ridge lambda = ridge * tr(G) / p
// (p unknowns) keeps G invertible when a head's u_h vanishes (a silent
// softmax-1 head); at 1e-9 it moves no error visibly.
//
// A basis (r x D, orthonormal rows) restricts each value to its span, v_h =
// B^T c_h, and the unknowns to the c_h. For single-location data the span of
// the keys, the teacher keys and the teacher value loses nothing: the tokens'
// components outside it are independent of the attention weights and of the
// label and have mean 0, so the population optimum has no component there,
// and fitting them (D - r of them per head) only adds estimation noise and
// cost. An empty basis is the identity (r = D).
#pragma once

#include <attnlab/framework/training/evaluation.hpp>
#include <attnlab/framework/training/learner.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace attnlab {

inline constexpr double kRefitRidge = 1e-9;

struct ValueNormalEquations {
  std::uint32_t dimension = 0;       // r: each head's block of unknowns
  RowMatrix basis;                   // r x D; empty: the identity
  std::vector<std::uint32_t> heads;  // active heads; block j of the unknowns is heads[j]'s value
  Eigen::MatrixXd gram;              // G, p x p with p = heads.size() * r (full, symmetric)
  Eigen::VectorXd moment;            // m
  double label_square = 0.0;         // sum_b y_b^2
  std::uint32_t samples = 0;
  // sum_b (v_h . u_h(X_b))^2 per active head, with the learner's values as
  // they were (whole values, not their part in the basis).
  std::vector<double> output_square;
};

// The normal equations of the learner's active heads (its head mask) on
// `sample`, evaluated in chunks of at most `chunk` samples, in `basis`.
ValueNormalEquations value_normal_equations(Learner& learner, const TestSet& sample, std::uint32_t chunk,
                                            const RowMatrix& basis = {});

// An orthonormal basis (rows) of the span of `directions`' rows; directions
// below 1e-10 of the largest are dropped.
RowMatrix orthonormal_basis(const RowMatrix& directions);

// The same equations for a subset of `equations.heads` (ascending). Exact
// only when removing the other heads leaves the kept heads' attention
// unchanged (per-head normalization; see heads_attend_independently).
ValueNormalEquations restricted_equations(const ValueNormalEquations& equations,
                                          const std::vector<std::uint32_t>& heads);

// Whether masking any one active head leaves every other head's attention
// weights bit for bit unchanged on the first `chunk` samples of `sample`:
// true for softmax and softmax-1 (per-head normalization), false for
// Bayes-softmax (one normalization over all heads). Restores the mask.
bool heads_attend_independently(Learner& learner, const TestSet& sample, std::uint32_t chunk);

// The least-squares values, stacked as the equations' unknowns.
Eigen::VectorXd solve_values(const ValueNormalEquations& equations, double ridge = kRefitRidge);

// The mean squared error on the equations' sample with these stacked values.
double sample_error(const ValueNormalEquations& equations, const Eigen::VectorXd& values);

// Writes stacked values (coordinates in the equations' basis) into the
// learner's value rows of the equations' heads.
void set_stacked_values(Learner& learner, const ValueNormalEquations& equations, const Eigen::VectorXd& values);

// Refits the values of the learner's active heads on `sample` (the others are
// left as they are); returns the sample's mean squared error after the refit.
double refit_values(Learner& learner, const TestSet& sample, std::uint32_t chunk, double ridge = kRefitRidge,
                    const RowMatrix& basis = {});

}  // namespace attnlab
