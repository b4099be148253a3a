// Order parameters of a random student, for the limit's tests.
#pragma once

#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/hosting/data_model.hpp>
#include <attnlab/framework/theory/order_parameters.hpp>

#include <cstdint>

namespace attnlab::test {

// H keys and H values with N(0, scale^2) entries in data's D dimensions, no
// biases, no activation parameters: their overlaps with data's teacher.
inline OrderParameters random_state(const DataModel& data, std::uint32_t heads, double scale, std::uint64_t seed) {
  const Teacher teacher{data.teacher_keys(), data.teacher_value()};
  RowMatrix w(2 * heads, data.dimension());
  Rng rng(seed);
  rng.fill_normal(w.data(), static_cast<std::size_t>(w.size()));
  w *= scale;
  return order_parameters_of(w, teacher, Eigen::VectorXd::Zero(heads), {});
}

}  // namespace attnlab::test
