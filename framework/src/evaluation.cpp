#include <attnlab/framework/evaluation.hpp>

#include <algorithm>
#include <span>

namespace attnlab {

Evaluation evaluate(Learner& learner, const TestSet& test_set, const Teacher& teacher, std::uint32_t chunk) {
  const std::uint32_t heads = learner.shape().heads;
  const double dimension = learner.shape().dimension;
  Evaluation result;
  result.usage = Eigen::VectorXd::Zero(heads);
  std::vector<double> predictions(chunk);
  double squared_error = 0.0;
  const std::size_t per_sample = std::size_t{test_set.length} * test_set.dimension;
  for (std::uint32_t start = 0; start < test_set.size; start += chunk) {
    const std::uint32_t count = std::min(chunk, test_set.size - start);
    learner.predict(std::span<const double>(test_set.tokens.data() + start * per_sample, count * per_sample), count,
                    std::span<double>(predictions.data(), count), std::span<double>(result.usage.data(), heads));
    for (std::uint32_t i = 0; i < count; ++i) {
      const double error = test_set.labels[start + i] - predictions[i];
      squared_error += error * error;
    }
  }
  result.test_mse = squared_error / test_set.size;
  result.usage /= test_set.size;
  result.key_overlaps = learner.keys() * teacher.keys.transpose() / dimension;
  result.value_overlaps = learner.values() * teacher.value / dimension;
  result.key_gram = learner.keys() * learner.keys().transpose() / dimension;
  result.value_gram = learner.values() * learner.values().transpose() / dimension;
  result.biases = learner.biases();
  result.activation_parameters = learner.activation().parameters();
  return result;
}

}  // namespace attnlab
