#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/theory/order_parameters.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace attnlab {

// The flat form keeps the student Gram's upper triangle once: the state has
// no two entries that must stay equal, and a finite-difference Jacobian
// costs one evaluation per independent entry.
std::size_t OrderParameters::flat_size() const {
  const std::size_t s = students();
  return s * (s + 1) / 2 + s * teachers + static_cast<std::size_t>(biases.size()) + activation_parameters.size();
}

OrderParameters order_parameters_of(const RowMatrix& keys_and_values, const Teacher& teacher,
                                    const Eigen::VectorXd& biases, const std::vector<double>& activation_parameters) {
  const Eigen::Index students = keys_and_values.rows();
  const Eigen::Index features = teacher.keys.rows();
  const Eigen::Index dimension = keys_and_values.cols();
  RowMatrix stacked(students + features + 1, dimension);
  stacked.topRows(students) = keys_and_values;
  stacked.middleRows(students, features) = teacher.keys;
  stacked.bottomRows(1) = teacher.value.transpose();

  OrderParameters state;
  state.heads = static_cast<std::uint32_t>(students / 2);
  state.teachers = static_cast<std::uint32_t>(features + 1);
  state.student = keys_and_values * stacked.transpose() / static_cast<double>(dimension);
  state.biases = biases;
  state.activation_parameters = activation_parameters;
  return state;
}

void require_orthonormal_teacher(const Teacher& teacher, const std::string& data_plugin) {
  const Eigen::Index features = teacher.keys.rows();
  const Eigen::Index dimension = teacher.keys.cols();
  RowMatrix stacked(features + 1, dimension);
  stacked.topRows(features) = teacher.keys;
  stacked.bottomRows(1) = teacher.value.transpose();
  const RowMatrix gram = stacked * stacked.transpose() / static_cast<double>(dimension);
  const double off = (gram - RowMatrix::Identity(features + 1, features + 1)).cwiseAbs().maxCoeff();
  if (!(off <= 1e-9)) {
    throw UsageError(fmt::format(
        "data model '{}': its teacher directions are not orthogonal with squared norm D (their Gram / D differs "
        "from the identity by {:.3g}), which the high-dimensional limit assumes",
        data_plugin, off));
  }
}

void to_vector(const OrderParameters& state, std::vector<double>& out) {
  out.resize(state.flat_size());
  const Eigen::Index students = state.students();
  auto it = out.begin();
  for (Eigen::Index i = 0; i < students; ++i) {
    for (Eigen::Index j = i; j < students; ++j) *it++ = state.student(i, j);
  }
  for (Eigen::Index i = 0; i < students; ++i) {
    for (Eigen::Index t = 0; t < state.teachers; ++t) *it++ = state.student(i, students + t);
  }
  it = std::copy(state.biases.data(), state.biases.data() + state.biases.size(), it);
  std::copy(state.activation_parameters.begin(), state.activation_parameters.end(), it);
}

void from_vector(const std::vector<double>& flat, OrderParameters& state) {
  const Eigen::Index students = state.students();
  auto it = flat.begin();
  for (Eigen::Index i = 0; i < students; ++i) {
    for (Eigen::Index j = i; j < students; ++j) state.student(i, j) = state.student(j, i) = *it++;
  }
  for (Eigen::Index i = 0; i < students; ++i) {
    for (Eigen::Index t = 0; t < state.teachers; ++t) state.student(i, students + t) = *it++;
  }
  std::copy(it, it + state.biases.size(), state.biases.data());
  it += state.biases.size();
  std::copy(it, it + static_cast<std::ptrdiff_t>(state.activation_parameters.size()),
            state.activation_parameters.begin());
}

}  // namespace attnlab
