// The Monte Carlo base draw of the high-dimensional limit: drawn once and
// reused at every evaluation of the right-hand side (common random numbers).
#pragma once

#include <attnlab/framework/hosting/data_model.hpp>
#include <attnlab/sdk/types.hpp>

#include <Eigen/Core>

#include <cstdint>

namespace attnlab {

// One base draw: `count` samples' teacher fields and labels from the data
// model's limit, and the standard normals that become the student fields.
struct FieldSample {
  std::uint32_t count = 0;
  std::uint32_t length = 0;               // L
  RowMatrix teacher_fields;               // (count*L) x T
  Eigen::VectorXd label_means;            // count
  Eigen::VectorXd label_noise_variances;  // count
  RowMatrix normals;                      // (count*L) x 2H
};

// Draws from `data` (which must have a limit) with its own stream `seed`.
FieldSample draw_field_sample(DataModel& data, std::uint64_t seed, std::uint32_t count, std::uint32_t heads);

}  // namespace attnlab
