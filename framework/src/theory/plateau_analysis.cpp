#include <attnlab/framework/theory/limit_integrator.hpp>
#include <attnlab/framework/theory/plateau_analysis.hpp>

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace attnlab {
namespace {

double largest_magnitude(const std::vector<double>& values) {
  double largest = 0.0;
  for (const double v : values) largest = std::max(largest, std::fabs(v));
  return largest;
}

// Flat index (to_vector's layout) of the overlap of student row s with teacher column t.
std::size_t overlap_index(const OrderParameters& state, Eigen::Index s, Eigen::Index t) {
  const std::size_t students = state.students();
  return students * (students + 1) / 2 + static_cast<std::size_t>(s) * state.teachers + static_cast<std::size_t>(t);
}

// A mode's shares of squared norm, from its eigenvector in flat coordinates.
PlateauMode describe_mode(const OrderParameters& shape, std::complex<double> eigenvalue,
                          const Eigen::VectorXcd& vector) {
  PlateauMode mode;
  mode.eigenvalue = eigenvalue;
  const double total = vector.squaredNorm();
  mode.feature_share.assign(shape.features(), 0.0);
  for (Eigen::Index s = 0; s < shape.students(); ++s) {
    for (std::uint32_t f = 0; f < shape.features(); ++f) {
      mode.feature_share[f] += std::norm(vector[static_cast<Eigen::Index>(overlap_index(shape, s, f))]) / total;
    }
  }
  // Head averaging permutes flat coordinates within orbits, so it is an
  // orthogonal projection there: the symmetric share is |P v|^2 / |v|^2.
  const std::vector<bool> none(shape.features(), false);
  double symmetric = 0.0;
  for (const bool imaginary : {false, true}) {
    const Eigen::VectorXd part = imaginary ? Eigen::VectorXd(vector.imag()) : Eigen::VectorXd(vector.real());
    OrderParameters as_state = shape;
    from_vector(std::vector<double>(part.data(), part.data() + part.size()), as_state);
    project_to_plateau_states(as_state, none);
    std::vector<double> projected;
    to_vector(as_state, projected);
    for (const double v : projected) symmetric += v * v;
  }
  mode.head_symmetric_share = symmetric / total;
  mode.vector = vector;
  return mode;
}

// An orthonormal basis (columns) of the head-symmetric states in flat
// coordinates: the range of the projection, found by projecting each unit vector.
Eigen::MatrixXd plateau_basis(const OrderParameters& shape, const std::vector<bool>& centred) {
  const std::size_t n = shape.flat_size();
  Eigen::MatrixXd projection(n, n);
  std::vector<double> unit(n, 0.0);
  std::vector<double> image;
  OrderParameters as_state = shape;
  for (std::size_t j = 0; j < n; ++j) {
    unit[j] = 1.0;
    from_vector(unit, as_state);
    project_to_plateau_states(as_state, centred);
    to_vector(as_state, image);
    projection.col(static_cast<Eigen::Index>(j)) = Eigen::Map<const Eigen::VectorXd>(image.data(), image.size());
    unit[j] = 0.0;
  }
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(0.5 * (projection + projection.transpose()));
  std::vector<Eigen::Index> kept;
  for (Eigen::Index i = 0; i < eigen.eigenvalues().size(); ++i) {
    if (eigen.eigenvalues()[i] > 0.5) kept.push_back(i);
  }
  Eigen::MatrixXd basis(n, static_cast<Eigen::Index>(kept.size()));
  for (std::size_t k = 0; k < kept.size(); ++k)
    basis.col(static_cast<Eigen::Index>(k)) = eigen.eigenvectors().col(kept[k]);
  return basis;
}

}  // namespace

bool newton_on_plateau_states(const LimitRhs& projected_rate, const Eigen::MatrixXd& basis, std::vector<double>& state,
                              const PlateauOptions& options) {
  const Eigen::Index n = static_cast<Eigen::Index>(state.size());
  const Eigen::Index k = basis.cols();
  std::vector<double> rate, up, down, trial(state.size());
  const auto reduced = [&](const std::vector<double>& at, std::vector<double>& out) {
    projected_rate(0.0, at, out);
    return Eigen::VectorXd(basis.transpose() * Eigen::Map<const Eigen::VectorXd>(out.data(), n));
  };
  Eigen::VectorXd residual = reduced(state, rate);
  for (std::uint32_t iteration = 0; iteration < options.newton_iterations; ++iteration) {
    if (largest_magnitude(rate) < options.rate_tolerance) return true;
    Eigen::MatrixXd jacobian(k, k);
    for (Eigen::Index j = 0; j < k; ++j) {
      const double step = options.jacobian_step;
      for (Eigen::Index i = 0; i < n; ++i)
        trial[static_cast<std::size_t>(i)] = state[static_cast<std::size_t>(i)] + step * basis(i, j);
      const Eigen::VectorXd plus = reduced(trial, up);
      for (Eigen::Index i = 0; i < n; ++i)
        trial[static_cast<std::size_t>(i)] = state[static_cast<std::size_t>(i)] - step * basis(i, j);
      const Eigen::VectorXd minus = reduced(trial, down);
      jacobian.col(j) = (plus - minus) / (2.0 * step);
    }
    const Eigen::VectorXd move = basis * jacobian.colPivHouseholderQr().solve(-residual);
    if (!move.allFinite()) return false;
    // Halve the move until the rate shrinks: a full Newton step can overshoot
    // where the drift is far from linear.
    bool improved = false;
    for (double fraction = 1.0; fraction > 1e-3 && !improved; fraction *= 0.5) {
      for (Eigen::Index i = 0; i < n; ++i)
        trial[static_cast<std::size_t>(i)] = state[static_cast<std::size_t>(i)] + fraction * move[i];
      std::vector<double> trial_rate;
      const Eigen::VectorXd trial_residual = reduced(trial, trial_rate);
      if (trial_residual.allFinite() && trial_residual.norm() < residual.norm()) {
        state = trial;
        rate = trial_rate;
        residual = trial_residual;
        improved = true;
      }
    }
    if (!improved) return false;
  }
  return largest_magnitude(rate) < options.rate_tolerance;
}

FeatureMoments feature_moments(const FieldSample& sample, std::uint32_t features) {
  FeatureMoments moments;
  const std::uint32_t length = sample.length;
  for (std::uint32_t f = 0; f < features; ++f) {
    // Summed in sample order, so that an antithetic pair cancels exactly.
    double sum = 0.0;
    double squares = 0.0;
    double token_squares = 0.0;
    for (std::uint32_t b = 0; b < sample.count; ++b) {
      const auto fields = sample.teacher_fields.col(f).segment(static_cast<Eigen::Index>(b) * length, length);
      const double field = fields.sum();
      sum += field;
      squares += field * field;
      token_squares += fields.squaredNorm();
    }
    const double mean = sum / sample.count;
    const double spread = std::sqrt(squares / sample.count);
    moments.centred.push_back(std::fabs(mean) <= 1e-9 * (1.0 + spread));
    // E[sum_l chi_l^2] - L = E[theta^2]: a smaller variance than Var(sum_l chi_l) - L,
    // whose square of a sum carries the L noise tokens' cross terms.
    moments.signal_variance.push_back(token_squares / sample.count - length - mean * mean);
  }
  return moments;
}

void project_to_plateau_states(OrderParameters& state, const std::vector<bool>& centred) {
  const Eigen::Index heads = state.heads;
  const double h = static_cast<double>(heads);
  // Gram blocks (keys/values x keys/values): diagonal and off-diagonal means.
  for (Eigen::Index a = 0; a < 2; ++a) {
    for (Eigen::Index b = 0; b < 2; ++b) {
      auto block = state.student.block(a * heads, b * heads, heads, heads);
      const double diagonal = block.diagonal().mean();
      const double off = heads > 1 ? (block.sum() - block.diagonal().sum()) / (h * (h - 1)) : 0.0;
      block.setConstant(off);
      block.diagonal().setConstant(diagonal);
    }
  }
  // Teacher overlaps: mean over heads of each row kind; centred features 0.
  for (Eigen::Index a = 0; a < 2; ++a) {
    for (Eigen::Index t = 0; t < state.teachers; ++t) {
      auto column = state.student.col(state.students() + t).segment(a * heads, heads);
      const bool zero = t < static_cast<Eigen::Index>(centred.size()) && centred[static_cast<std::size_t>(t)];
      column.setConstant(zero ? 0.0 : column.mean());
    }
  }
  if (state.biases.size() > 0) state.biases.setConstant(state.biases.mean());
}

PlateauAnalysis analyze_plateau(LimitDynamics& dynamics, const FieldSample& sample, const FieldSample& risk_sample,
                                const OrderParameters& start, const PlateauOptions& options) {
  const FeatureMoments moments = feature_moments(sample, start.features());
  PlateauAnalysis analysis;
  OrderParameters at = start;
  project_to_plateau_states(at, moments.centred);
  OrderParameters scratch = at;
  OrderParameters rate = at;
  const auto full_rate = [&](const std::vector<double>& state, std::vector<double>& out) {
    ++analysis.evaluations;
    from_vector(state, scratch);
    dynamics.rate(scratch, sample, rate);
    to_vector(rate, out);
  };
  const LimitRhs projected_rate = [&](double, const std::vector<double>& state, std::vector<double>& out) {
    ++analysis.evaluations;
    from_vector(state, scratch);
    dynamics.rate(scratch, sample, rate);
    project_to_plateau_states(rate, moments.centred);
    to_vector(rate, out);
  };

  // The projected flow, reported on a doubling time grid until it is near
  // the plateau; Newton's method in the head-symmetric coordinates then
  // lands on it (the flow alone creeps along its slow directions).
  std::vector<double> settled;
  to_vector(at, settled);
  const auto flow_until = [&](double tolerance) {
    const RestSearch search = integrate_to_rest(projected_rate, settled, analysis.settle_time, options.max_time,
                                                tolerance, options.integration_tolerance);
    analysis.settle_time = search.time;
    return search.at_rest;
  };
  flow_until(options.newton_from);
  const Eigen::MatrixXd basis = plateau_basis(at, moments.centred);
  std::vector<double> polished = settled;
  // Newton may land on another fixed point (e.g. the state that has learnt
  // nothing): kept only near where the flow was heading.
  const auto near_flow = [&] {
    double moved = 0.0, size = 0.0;
    for (std::size_t i = 0; i < settled.size(); ++i) {
      moved = std::max(moved, std::fabs(polished[i] - settled[i]));
      size = std::max(size, std::fabs(settled[i]));
    }
    return moved <= options.newton_reach * (1.0 + size);
  };
  if (newton_on_plateau_states(projected_rate, basis, polished, options) && near_flow()) {
    settled = polished;
    analysis.converged = true;
  } else {
    analysis.converged = flow_until(options.rate_tolerance);
  }
  from_vector(settled, at);
  // Newton's moves carry rounding off the symmetric states; back onto them.
  project_to_plateau_states(at, moments.centred);
  to_vector(at, settled);
  analysis.fixed_point = at;
  analysis.risk = dynamics.measure(at, risk_sample).risk;

  // The full drift's Jacobian by central differences (the sample is fixed,
  // so the differences see no sampling noise).
  std::vector<double> here = settled;
  std::vector<double> drift;
  full_rate(here, drift);
  analysis.largest_rate = largest_magnitude(drift);
  const Eigen::Index n = static_cast<Eigen::Index>(settled.size());
  Eigen::MatrixXd jacobian(n, n);
  std::vector<double> up, down;
  for (Eigen::Index j = 0; j < n; ++j) {
    const std::size_t k = static_cast<std::size_t>(j);
    const double step = options.jacobian_step * std::max(1.0, std::fabs(settled[k]));
    here[k] = settled[k] + step;
    full_rate(here, up);
    here[k] = settled[k] - step;
    full_rate(here, down);
    here[k] = settled[k];
    for (Eigen::Index i = 0; i < n; ++i) {
      const std::size_t r = static_cast<std::size_t>(i);
      jacobian(i, j) = (up[r] - down[r]) / (2.0 * step);
    }
  }
  if (!jacobian.allFinite()) throw std::runtime_error("the drift's Jacobian at the plateau is not finite");
  const Eigen::EigenSolver<Eigen::MatrixXd> eigen(jacobian);
  if (eigen.info() != Eigen::Success) throw std::runtime_error("the drift's Jacobian at the plateau has no eigenmodes");
  for (Eigen::Index i = 0; i < n; ++i) {
    analysis.modes.push_back(describe_mode(at, eigen.eigenvalues()[i], eigen.eigenvectors().col(i)));
  }
  std::stable_sort(analysis.modes.begin(), analysis.modes.end(), [](const PlateauMode& a, const PlateauMode& b) {
    return a.eigenvalue.real() > b.eigenvalue.real();
  });
  for (const PlateauMode& mode : analysis.modes)
    analysis.unstable_modes += mode.eigenvalue.real() > options.unstable_above;
  if (!analysis.modes.empty() && analysis.modes.front().eigenvalue.real() > options.unstable_above) {
    analysis.largest_growth_rate = analysis.modes.front().eigenvalue.real();
  }

  for (std::uint32_t f = 0; f < start.features(); ++f) {
    if (!moments.centred[f]) continue;
    FeatureEscape escape;
    escape.feature = f;
    escape.variance = moments.signal_variance[f];
    for (const PlateauMode& mode : analysis.modes) {  // by decreasing real part: the first is the largest
      if (mode.eigenvalue.real() > options.unstable_above && mode.feature_share[f] > 0.5) {
        escape.growth_rate = mode.eigenvalue.real();
        escape.head_symmetric = mode.head_symmetric_share > 0.5;
        break;
      }
    }
    analysis.features.push_back(escape);
  }
  for (FeatureEscape& escape : analysis.features) {
    if (!escape.growth_rate) continue;
    escape.predicted_order = 1;
    for (const FeatureEscape& other : analysis.features) {
      if (other.growth_rate && *other.growth_rate > *escape.growth_rate) ++escape.predicted_order;
    }
  }
  return analysis;
}

}  // namespace attnlab
