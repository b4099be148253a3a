// Measuring a learner on the shared test set: error, teacher overlaps, Gram
// matrices and head usage.
#pragma once

#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/hosting/data_model.hpp>
#include <attnlab/framework/training/learner.hpp>
#include <attnlab/sdk/types.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace attnlab {

// A fixed set of samples every compared model is scored on.
struct TestSet {
  std::uint32_t size = 0;
  std::uint32_t length = 0;
  std::uint32_t dimension = 0;
  std::vector<double> tokens;  // (size*L) x D row-major
  std::vector<double> labels;
};

// The test set of a run with this seed: `size` samples from the seed's own
// test-data stream, so a later process (e.g. `attnlab prune`) draws the very
// samples the run was scored on.
TestSet make_test_set(DataModel& data, std::uint64_t seed, std::uint32_t size);
// `size` samples from `rng` in the test set's layout (e.g. a refit sample).
TestSet draw_samples(DataModel& data, Rng& rng, std::uint32_t size);

// Teacher directions: keys F x D, value D (squared norms D).
struct Teacher {
  RowMatrix keys;
  Eigen::VectorXd value;
};

struct Evaluation {
  double test_mse = 0.0;                      // mean (y - f)^2
  RowMatrix key_overlaps;                     // H x F: m[h,f] = k_h . k*_f / D
  Eigen::VectorXd value_overlaps;             // H: r[h] = v_h . v* / D
  RowMatrix key_gram;                         // H x H: K K^T / D (empty beyond max_gram_heads)
  RowMatrix value_gram;                       // H x H: V V^T / D (empty beyond max_gram_heads)
  Eigen::VectorXd usage;                      // H: mean total attention weight per head
  Eigen::VectorXd biases;                     // H: score biases b_h
  std::vector<double> activation_parameters;  // the activation's learnable parameters
  // 2H x (2H + F + 1): the keys' and values' overlaps with keys, values,
  // teacher keys and teacher value, / D (the state of the high-dimensional
  // limit; not written to metrics.jsonl); empty beyond max_gram_heads.
  RowMatrix student_overlaps;
};

// Mean (y - f)^2 over the test set, in chunks of at most `chunk` samples;
// the same number evaluate() reports as test_mse.
double test_error(Learner& learner, const TestSet& test_set, std::uint32_t chunk);

// The Bayes predictor's mean squared error on the test set, in chunks of at
// most `chunk` samples; `data` must have a Bayes predictor.
double bayes_test_error(DataModel& data, const TestSet& test_set, std::uint32_t chunk);

// The evaluation batch every test error is computed with (comparisons,
// prune, experiments), so that they sum in the same order and agree exactly.
inline constexpr std::uint32_t kEvaluationChunk = 512;

// Evaluates in chunks of at most `chunk` samples (the learner's max batch).
// The Gram matrices (H x H each) are computed only for H <= max_gram_heads.
Evaluation evaluate(Learner& learner, const TestSet& test_set, const Teacher& teacher, std::uint32_t chunk,
                    std::uint32_t max_gram_heads);

}  // namespace attnlab
