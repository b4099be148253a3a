// Reading metrics.jsonl records back (comparison figures, reproduce's
// traces). Internal to the framework library.
#pragma once

#include <attnlab/framework/training/evaluation.hpp>

#include <nlohmann/json.hpp>

#include <limits>

namespace attnlab {

// metrics.jsonl writes a non-finite number as null.
inline double number_or_nan(const nlohmann::json& value) {
  return value.is_number() ? value.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

// A matrix written as rows of numbers (key_overlaps, the Gram matrices).
inline RowMatrix matrix_of(const nlohmann::json& rows) {
  RowMatrix m(static_cast<Eigen::Index>(rows.size()), rows.empty() ? 0 : static_cast<Eigen::Index>(rows[0].size()));
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    for (Eigen::Index c = 0; c < m.cols(); ++c) m(r, c) = number_or_nan(rows[r][c]);
  }
  return m;
}

}  // namespace attnlab
