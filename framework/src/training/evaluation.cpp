#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/training/evaluation.hpp>

#include <algorithm>
#include <span>

namespace attnlab {

TestSet draw_samples(DataModel& data, Rng& rng, std::uint32_t size) {
  TestSet samples{size, data.length(), data.dimension(), {}, {}};
  samples.tokens.resize(std::size_t{size} * data.length() * data.dimension());
  samples.labels.resize(size);
  data.sample(rng, size, samples.tokens, samples.labels);
  return samples;
}

TestSet make_test_set(DataModel& data, std::uint64_t seed, std::uint32_t size) {
  Rng rng(stream_seed(seed, StreamPurpose::TestData));
  return draw_samples(data, rng, size);
}

namespace {

// Mean squared error over the test set, predicted in chunks; adds each head's
// total attention weight to `usage` when it is not empty. The one loop both
// evaluate() and test_error() use, so that they agree to the last bit.
double mean_squared_error(Learner& learner, const TestSet& test_set, std::uint32_t chunk, std::span<double> usage) {
  std::vector<double> predictions(chunk);
  double squared_error = 0.0;
  const std::size_t per_sample = std::size_t{test_set.length} * test_set.dimension;
  for (std::uint32_t start = 0; start < test_set.size; start += chunk) {
    const std::uint32_t count = std::min(chunk, test_set.size - start);
    learner.predict(std::span<const double>(test_set.tokens.data() + start * per_sample, count * per_sample), count,
                    std::span<double>(predictions.data(), count), usage);
    for (std::uint32_t i = 0; i < count; ++i) {
      const double error = test_set.labels[start + i] - predictions[i];
      squared_error += error * error;
    }
  }
  return squared_error / test_set.size;
}

}  // namespace

double bayes_test_error(DataModel& data, const TestSet& test_set, std::uint32_t chunk) {
  std::vector<double> predictions(chunk);
  double squared_error = 0.0;
  const std::size_t per_sample = std::size_t{test_set.length} * test_set.dimension;
  for (std::uint32_t start = 0; start < test_set.size; start += chunk) {
    const std::uint32_t count = std::min(chunk, test_set.size - start);
    data.bayes_prediction(count,
                          std::span<const double>(test_set.tokens.data() + start * per_sample, count * per_sample),
                          std::span<double>(predictions.data(), count));
    for (std::uint32_t i = 0; i < count; ++i) {
      const double error = test_set.labels[start + i] - predictions[i];
      squared_error += error * error;
    }
  }
  return squared_error / test_set.size;
}

double test_error(Learner& learner, const TestSet& test_set, std::uint32_t chunk) {
  return mean_squared_error(learner, test_set, chunk, {});
}

Evaluation evaluate(Learner& learner, const TestSet& test_set, const Teacher& teacher, std::uint32_t chunk,
                    std::uint32_t max_gram_heads) {
  const std::uint32_t heads = learner.shape().heads;
  const double dimension = learner.shape().dimension;
  Evaluation result;
  result.usage = Eigen::VectorXd::Zero(heads);
  result.test_mse = mean_squared_error(learner, test_set, chunk, std::span<double>(result.usage.data(), heads));
  result.usage /= test_set.size;
  result.key_overlaps = learner.keys() * teacher.keys.transpose() / dimension;
  result.value_overlaps = learner.values() * teacher.value / dimension;
  if (heads <= max_gram_heads) {
    result.key_gram = learner.keys() * learner.keys().transpose() / dimension;
    result.value_gram = learner.values() * learner.values().transpose() / dimension;
  }
  result.biases = learner.biases();
  result.activation_parameters = learner.activation().parameters();
  if (heads <= max_gram_heads) {
    const auto& w = learner.keys_and_values();
    result.student_overlaps.resize(w.rows(), w.rows() + teacher.keys.rows() + 1);
    result.student_overlaps << w * w.transpose(), w * teacher.keys.transpose(), w * teacher.value;
    result.student_overlaps /= dimension;
  }
  return result;
}

}  // namespace attnlab
