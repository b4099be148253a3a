#include <attnlab/framework/analysis/value_refit.hpp>
#include <attnlab/framework/common/errors.hpp>

#include <Eigen/Cholesky>
#include <Eigen/SVD>

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

ValueNormalEquations value_normal_equations(Learner& learner, const TestSet& sample, std::uint32_t chunk,
                                            const RowMatrix& basis) {
  const LearnerShape& shape = learner.shape();
  if (chunk == 0 || sample.size == 0) throw UsageError("a value refit needs a non-empty sample and a chunk >= 1");
  if (sample.length != shape.length || sample.dimension != shape.dimension) {
    throw UsageError("the refit sample's L and D differ from the learner's");
  }
  if (basis.size() > 0 && basis.cols() != shape.dimension) throw UsageError("the refit basis is not D wide");
  ValueNormalEquations equations;
  equations.basis = basis;
  equations.heads = active_heads(learner);
  const Eigen::Index d = shape.dimension;
  const Eigen::Index r = basis.size() > 0 ? basis.rows() : d;
  equations.dimension = static_cast<std::uint32_t>(r);
  const Eigen::Index p = static_cast<Eigen::Index>(equations.heads.size()) * r;
  equations.output_square.assign(equations.heads.size(), 0.0);
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
        const Eigen::VectorXd u = (a * x).transpose() * scale;
        const double output = learner.values().row(equations.heads[j]).dot(u.transpose());
        equations.output_square[j] += output * output;
        if (basis.size() > 0) {
          features.block(static_cast<Eigen::Index>(j) * r, b, r, 1).noalias() = basis * u;
        } else {
          features.block(static_cast<Eigen::Index>(j) * r, b, r, 1) = u;
        }
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
  kept.basis = equations.basis;
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
    kept.output_square.push_back(equations.output_square[static_cast<std::size_t>(blocks[i])]);
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

RowMatrix orthonormal_basis(const RowMatrix& directions) {
  if (directions.size() == 0) return RowMatrix(0, directions.cols());
  // Left singular vectors of directions^T (D x m) with non-negligible singular values.
  const Eigen::MatrixXd columns = directions.transpose();
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(columns, Eigen::ComputeThinU);
  const Eigen::VectorXd& singular = svd.singularValues();
  Eigen::Index rank = 0;
  while (rank < singular.size() && singular[rank] > 1e-10 * singular[0]) ++rank;
  return svd.matrixU().leftCols(rank).transpose();
}

void set_stacked_values(Learner& learner, const ValueNormalEquations& equations, const Eigen::VectorXd& values) {
  const Eigen::Index r = equations.dimension;
  const Eigen::Index h = learner.shape().heads;
  if (values.size() != static_cast<Eigen::Index>(equations.heads.size()) * r) {
    throw UsageError("stacked values do not match the heads");
  }
  for (std::size_t j = 0; j < equations.heads.size(); ++j) {
    const Eigen::VectorXd c = values.segment(static_cast<Eigen::Index>(j) * r, r);
    if (equations.basis.size() > 0) {
      learner.keys_and_values().row(h + equations.heads[j]) = (equations.basis.transpose() * c).transpose();
    } else {
      learner.keys_and_values().row(h + equations.heads[j]) = c.transpose();
    }
  }
}

double refit_values(Learner& learner, const TestSet& sample, std::uint32_t chunk, double ridge,
                    const RowMatrix& basis) {
  const ValueNormalEquations equations = value_normal_equations(learner, sample, chunk, basis);
  const Eigen::VectorXd values = solve_values(equations, ridge);
  set_stacked_values(learner, equations, values);
  return sample_error(equations, values);
}

}  // namespace attnlab
