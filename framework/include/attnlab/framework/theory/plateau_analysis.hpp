// The unspecialized plateau of the high-dimensional limit and how it is left.
//
// Heads first learn together: every head takes the same overlaps, aligned
// with the prior's mean, and none with a centred feature (one whose prior is
// sign-symmetric). That state is a fixed point of the limit's drift, stable
// within the head-symmetric states and unstable across them. Here it is
// found by integrating the drift projected onto those states (heads
// averaged, centred features' overlaps zero) until it stops moving; the full
// drift's Jacobian there (central finite differences on the one Monte Carlo
// sample: common random numbers) gives the growth rates of perturbations.
// An unstable mode carried by feature f is the way out through f: the larger
// its eigenvalue, the earlier f is learned (escape time ≈ log(1/δ₀) / λ for
// an initial asymmetry δ₀ ~ init_scale / sqrt(D), so the plateau's length
// grows like log(D) / (2 λ_max)). The drift is taken at the optimizer's
// base rates: a learning-rate schedule's factor is left out (its η² term
// would move the fixed point with time).
#pragma once

#include <attnlab/framework/theory/field_sample.hpp>
#include <attnlab/framework/theory/limit_dynamics.hpp>
#include <attnlab/framework/theory/limit_integrator.hpp>
#include <attnlab/framework/theory/order_parameters.hpp>

#include <complex>
#include <cstdint>
#include <optional>
#include <vector>

namespace attnlab {

struct PlateauOptions {
  // The plateau: largest |d state / dt| below this. Against growth rates
  // of 1e-3 and more, a drift of 1e-5 moves the state by 1e-2 over an escape.
  double rate_tolerance = 1e-5;
  double newton_from = 1e-2;  // the flow runs until its rate is below this, then Newton's method
  std::uint32_t newton_iterations = 20;
  double newton_reach = 0.1;  // Newton's point is kept within this (relative) of the flow's
  double max_time = 16384.0;  // the flow gives up (converged = false) past this time
  double integration_tolerance = 1e-4;
  double jacobian_step = 1e-5;   // relative finite-difference step
  double unstable_above = 1e-6;  // eigenvalues with a larger real part count as unstable
};

// One eigenmode of the drift's Jacobian at the plateau.
struct PlateauMode {
  std::complex<double> eigenvalue;
  // Share of the eigenvector's squared norm in each feature's overlaps
  // (column f of every key and value row), per feature; the rest is in the
  // Gram, the non-feature overlaps, the biases and activation parameters.
  std::vector<double> feature_share;
  double head_symmetric_share = 0.0;  // share that is the same in every head
  Eigen::VectorXcd vector;            // the eigenvector, in to_vector's flat coordinates
};

// How one centred feature leaves the plateau.
struct FeatureEscape {
  std::uint32_t feature = 0;
  double variance = 0.0;  // Var theta_f, estimated from the sample (see signal_variances)
  // The largest real part among unstable modes carried mostly (> half) by
  // this feature; empty when none is.
  std::optional<double> growth_rate;
  bool head_symmetric = false;        // that mode moves every head alike (not a specialization)
  std::uint32_t predicted_order = 0;  // 1 = first to escape among features with a growth rate; 0 = none
};

struct PlateauAnalysis {
  bool converged = false;         // the projected drift fell below rate_tolerance
  double settle_time = 0.0;       // time the projected flow took to get there from the start
  double largest_rate = 0.0;      // largest |d state / dt| of the full drift at the plateau
  std::uint64_t evaluations = 0;  // of the drift, to settle and for the Jacobian
  OrderParameters fixed_point;
  double risk = 0.0;                    // the plateau's level: population risk there
  std::vector<PlateauMode> modes;       // every eigenmode, by decreasing real part
  std::vector<FeatureEscape> features;  // centred features only, in feature order
  std::size_t unstable_modes = 0;       // with a real part above options.unstable_above
  // The largest unstable real part of any mode; empty when none.
  std::optional<double> largest_growth_rate;
};

// Per feature: whether its prior is centred (the sample's mean of the
// token-summed field is 0 up to rounding: the data model's antithetic pairs
// flip exactly these), and Var(sum_l chi_f,l) - L, the variance the feature
// adds to unit-variance token noise: Var theta_f for single-location data.
struct FeatureMoments {
  std::vector<bool> centred;
  std::vector<double> signal_variance;
};
FeatureMoments feature_moments(const FieldSample& sample, std::uint32_t features);

// Finds the plateau from `start` (projected first) and analyses it.
// Throws std::runtime_error when the drift is not finite.
PlateauAnalysis analyze_plateau(LimitDynamics& dynamics, const FieldSample& sample, const FieldSample& risk_sample,
                                const OrderParameters& start, const PlateauOptions& options = {});

// Newton's method on projected_rate(state) = 0 within the head-symmetric
// states (basis: their orthonormal basis in flat coordinates), with halved
// moves while a move does not shrink the rate. True when the largest
// |rate| falls below options.rate_tolerance; `state` holds the best point.
bool newton_on_plateau_states(const LimitRhs& projected_rate, const Eigen::MatrixXd& basis, std::vector<double>& state,
                              const PlateauOptions& options);

// The projection onto head-symmetric states with centred features unlearnt:
// each head's overlaps replaced by their mean over heads (the Gram's
// diagonal and off-diagonal entries of each key/value block likewise,
// biases too), and the overlaps with centred features set to 0.
void project_to_plateau_states(OrderParameters& state, const std::vector<bool>& centred);

}  // namespace attnlab
