#include <attnlab/framework/analysis/value_refit.hpp>
#include <attnlab/framework/common/errors.hpp>

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>
#include <span>

namespace attnlab {
namespace {

std::vector<std::uint32_t> active_heads(const Learner& learner) {
  std::vector<std::uint32_t> heads;
  const auto& mask = learner.head_mask();
  for (std::uint32_t h = 0; h < learner.shape().heads; ++h) {
    if (mask.empty() || mask[h] != 0) heads.push_back(h);
  }
  return heads;
}

}  // namespace

ValueNormalEquations value_normal_equations(Learner& learner, const TestSet& sample, std::uint32_t chunk) {
  const LearnerShape& shape = learner.shape();
  if (chunk == 0 || sample.size == 0) throw UsageError("a value refit needs a non-empty sample and a chunk >= 1");
  if (sample.length != shape.length || sample.dimension != shape.dimension) {
    throw UsageError("the refit sample's L and D differ from the learner's");
  }
  ValueNormalEquations equations;
  equations.dimension = shape.dimension;
  equations.heads = active_heads(learner);
  const Eigen::Index d = shape.dimension;
  const Eigen::Index p = static_cast<Eigen::Index>(equations.heads.size()) * d;
  equations.gram = Eigen::MatrixXd::Zero(p, p);
  equations.moment = Eigen::VectorXd::Zero(p);

  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  const std::size_t per_sample = std::size_t{shape.length} * shape.dimension;
  const std::size_t per_weights = std::size_t{shape.heads} * shape.length;
  std::vector<double> weights(std::size_t{chunk} * per_weights);
  Eigen::MatrixXd features(p, chunk);  // column b: phi of sample b
  for (std::uint32_t start = 0; start < sample.size; start += chunk) {
    const std::uint32_t count = std::min(chunk, sample.size - start);
    const double* tokens = sample.tokens.data() + std::size_t{start} * per_sample;
    learner.attention(std::span<const double>(tokens, count * per_sample), count,
                      std::span<double>(weights.data(), count * per_weights));
    for (std::uint32_t b = 0; b < count; ++b) {
      const Eigen::Map<const RowMatrix> x(tokens + b * per_sample, shape.length, d);
      for (std::size_t j = 0; j < equations.heads.size(); ++j) {
        const Eigen::Map<const Eigen::RowVectorXd> a(&weights[b * per_weights + equations.heads[j] * shape.length],
                                                     shape.length);
        features.block(static_cast<Eigen::Index>(j) * d, b, d, 1) = (a * x).transpose() * scale;
      }
    }
    const auto used = features.leftCols(count);
    const Eigen::Map<const Eigen::VectorXd> y(sample.labels.data() + start, count);
    equations.gram.selfadjointView<Eigen::Lower>().rankUpdate(used);
    equations.moment.noalias() += used * y;
    equations.label_square += y.squaredNorm();
  }
  equations.gram = equations.gram.selfadjointView<Eigen::Lower>();
  equations.samples = sample.size;
  return equations;
}

ValueNormalEquations restricted_equations(const ValueNormalEquations& equations,
                                          const std::vector<std::uint32_t>& heads) {
  ValueNormalEquations kept;
  kept.dimension = equations.dimension;
  kept.heads = heads;
  kept.label_square = equations.label_square;
  kept.samples = equations.samples;
  const Eigen::Index d = equations.dimension;
  std::vector<Eigen::Index> blocks;
  for (const std::uint32_t h : heads) {
    const auto at = std::find(equations.heads.begin(), equations.heads.end(), h);
    if (at == equations.heads.end()) throw UsageError("restricted_equations: head " + std::to_string(h) + " is absent");
    blocks.push_back(static_cast<Eigen::Index>(at - equations.heads.begin()));
  }
  const Eigen::Index p = static_cast<Eigen::Index>(heads.size()) * d;
  kept.gram.resize(p, p);
  kept.moment.resize(p);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const Eigen::Index row = static_cast<Eigen::Index>(i) * d;
    kept.moment.segment(row, d) = equations.moment.segment(blocks[i] * d, d);
    for (std::size_t j = 0; j < blocks.size(); ++j) {
      kept.gram.block(row, static_cast<Eigen::Index>(j) * d, d, d) =
          equations.gram.block(blocks[i] * d, blocks[j] * d, d, d);
    }
  }
  return kept;
}

bool heads_attend_independently(Learner& learner, const TestSet& sample, std::uint32_t chunk) {
  const std::vector<unsigned char> saved = learner.head_mask();
  const LearnerShape& shape = learner.shape();
  const std::uint32_t count = std::min(chunk, sample.size);
  const std::size_t per_sample = std::size_t{shape.length} * shape.dimension;
  const std::span<const double> tokens(sample.tokens.data(), count * per_sample);
  const std::size_t entries = std::size_t{count} * shape.heads * shape.length;
  std::vector<double> reference(entries);
  std::vector<double> masked(entries);
  learner.attention(tokens, count, reference);
  const std::vector<std::uint32_t> heads = active_heads(learner);
  bool independent = true;
  for (const std::uint32_t removed : heads) {
    std::vector<unsigned char> mask(shape.heads, 0);
    for (const std::uint32_t h : heads) mask[h] = h != removed;
    learner.set_head_mask(mask);
    learner.attention(tokens, count, masked);
    for (std::size_t b = 0; b < count && independent; ++b) {
      for (const std::uint32_t h : heads) {
        if (h == removed) continue;
        const std::size_t row = (b * shape.heads + h) * shape.length;
        independent = independent && std::equal(masked.begin() + static_cast<std::ptrdiff_t>(row),
                                                masked.begin() + static_cast<std::ptrdiff_t>(row + shape.length),
                                                reference.begin() + static_cast<std::ptrdiff_t>(row));
      }
    }
    if (!independent) break;
  }
  learner.set_head_mask(saved);
  return independent;
}

Eigen::VectorXd solve_values(const ValueNormalEquations& equations, double ridge) {
  const Eigen::Index p = equations.gram.rows();
  if (p == 0) return Eigen::VectorXd();
  const double lambda = ridge * equations.gram.trace() / static_cast<double>(p);
  Eigen::MatrixXd regularized = equations.gram;
  regularized.diagonal().array() += lambda;
  return regularized.ldlt().solve(equations.moment);
}

double sample_error(const ValueNormalEquations& equations, const Eigen::VectorXd& values) {
  if (equations.samples == 0) return std::nan("");
  // sum_b (y_b - v . phi_b)^2 = y.y - 2 v.m + v.G v
  const double squares = values.size() == 0 ? equations.label_square
                                            : equations.label_square - 2.0 * values.dot(equations.moment) +
                                                  values.dot(equations.gram * values);
  return squares / equations.samples;
}

Eigen::VectorXd stacked_values(const Learner& learner, const std::vector<std::uint32_t>& heads) {
  const Eigen::Index d = learner.shape().dimension;
  Eigen::VectorXd stacked(static_cast<Eigen::Index>(heads.size()) * d);
  for (std::size_t j = 0; j < heads.size(); ++j) {
    stacked.segment(static_cast<Eigen::Index>(j) * d, d) = learner.values().row(heads[j]).transpose();
  }
  return stacked;
}

void set_stacked_values(Learner& learner, const std::vector<std::uint32_t>& heads, const Eigen::VectorXd& values) {
  const Eigen::Index d = learner.shape().dimension;
  const Eigen::Index h = learner.shape().heads;
  if (values.size() != static_cast<Eigen::Index>(heads.size()) * d) {
    throw UsageError("stacked values do not match the heads");
  }
  for (std::size_t j = 0; j < heads.size(); ++j) {
    learner.keys_and_values().row(h + heads[j]) = values.segment(static_cast<Eigen::Index>(j) * d, d).transpose();
  }
}

double refit_values(Learner& learner, const TestSet& sample, std::uint32_t chunk, double ridge) {
  const ValueNormalEquations equations = value_normal_equations(learner, sample, chunk);
  const Eigen::VectorXd values = solve_values(equations, ridge);
  set_stacked_values(learner, equations.heads, values);
  return sample_error(equations, values);
}

}  // namespace attnlab
