// The state of the high-dimensional limit: the overlaps of the student's
// keys and values with one another and with the teacher directions, the
// score biases and the activation's learnable parameters.
//
// Stack W = [k_1..k_H, v_1..v_H, k*_1..k*_F, v*] (n = 2H + T rows, T = F + 1)
// and let Omega = W W^T / D. The teacher block of Omega is the identity (the
// data model's teacher directions are orthogonal with squared norm D); the
// state keeps the 2H student rows of Omega against all n columns.
#pragma once

#include <attnlab/framework/training/evaluation.hpp>
#include <attnlab/sdk/types.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace attnlab {

struct OrderParameters {
  std::uint32_t heads = 0;     // H
  std::uint32_t teachers = 0;  // T = F + 1
  // 2H x (2H + T): rows k_1..k_H, v_1..v_H; columns k, v, then k*_1..k*_F, v*.
  RowMatrix student;
  Eigen::VectorXd biases;  // H
  std::vector<double> activation_parameters;

  std::uint32_t students() const { return 2 * heads; }
  std::uint32_t features() const { return teachers - 1; }
  // Q: 2H x 2H, the student Gram.
  auto gram() const { return student.leftCols(students()); }
  // M: 2H x T, the student-teacher overlaps.
  auto teacher_overlaps() const { return student.rightCols(teachers); }
  // Number of doubles in the flat form (to_vector / from_vector).
  std::size_t flat_size() const;
};

// Omega's student rows from the vectors themselves: keys_and_values is the
// learner's 2H x D matrix (keys, then values), teacher the data model's
// directions at the same D.
OrderParameters order_parameters_of(const RowMatrix& keys_and_values, const Teacher& teacher,
                                    const Eigen::VectorXd& biases, const std::vector<double>& activation_parameters);

// Throws UsageError when the teacher directions are not orthogonal with
// squared norm D (within 1e-9 relative), which the limit assumes.
void require_orthonormal_teacher(const Teacher& teacher, const std::string& data_plugin);

// The flat state the integrator moves: the student Gram's upper triangle,
// the student-teacher overlaps, biases, activation parameters (a symmetric
// Gram comes back from from_vector).
void to_vector(const OrderParameters& state, std::vector<double>& out);
void from_vector(const std::vector<double>& flat, OrderParameters& state);

}  // namespace attnlab
