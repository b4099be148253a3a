// The limit's right-hand side and risk against independent estimates in D
// dimensions: one SGD step's mean change of Omega (the eta^2 term included),
// the test error of explicit vectors, the Bayes risk of Bayes-softmax at its
// Bayes-optimal overlaps, and m = 0 kept exactly without signal.
#include "../experiments/test_plugins.hpp"

#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/hosting/data_model.hpp>
#include <attnlab/framework/hosting/optimizer.hpp>
#include <attnlab/framework/theory/bayes_point.hpp>
#include <attnlab/framework/theory/field_sample.hpp>
#include <attnlab/framework/theory/limit_dynamics.hpp>
#include <attnlab/framework/training/evaluation.hpp>
#include <attnlab/framework/training/learner.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace attnlab;

constexpr const char* kData = "D = 1000\nL = 6\nF = 2\nmean = [1.0, 0.0]\nstd = [1.5, 1.0]\ndelta = 0.3\n";

// Keys partly along the features, values partly along v*, plus isotropic
// noise: a state with O(1) drift in every block.
RowMatrix structured_parameters(const Teacher& teacher, std::uint32_t heads, std::uint64_t seed) {
  const Eigen::Index dimension = teacher.value.size();
  RowMatrix w(2 * heads, dimension);
  Rng rng(seed);
  rng.fill_normal(w.data(), static_cast<std::size_t>(w.size()));
  w *= 0.4;
  for (std::uint32_t h = 0; h < heads; ++h) {
    w.row(h) += (0.8 - 0.5 * h) * teacher.keys.row(0) + (0.3 + 0.4 * h) * teacher.keys.row(1);
    w.row(heads + h) += (0.6 + 0.2 * h) * teacher.value.transpose();
  }
  return w;
}

struct Moments {
  Eigen::ArrayXd sum, squares;
  std::size_t count = 0;
  void add(const Eigen::ArrayXd& x) {
    if (count == 0) sum = squares = Eigen::ArrayXd::Zero(x.size());
    sum += x;
    squares += x * x;
    ++count;
  }
  Eigen::ArrayXd mean() const { return sum / count; }
  Eigen::ArrayXd standard_error() const {
    const Eigen::ArrayXd m = mean();
    return ((squares / count - m * m).max(0.0) / (count - 1)).sqrt();
  }
};

// The limit's risk at `state` over `draws` independent base draws: mean and
// standard error of the mean.
std::pair<double, double> limit_risk(LimitDynamics& dynamics, DataModel& data, const OrderParameters& state,
                                     std::uint32_t draws, std::uint32_t samples) {
  Moments risk;
  for (std::uint32_t draw = 0; draw < draws; ++draw) {
    const FieldSample sample = draw_field_sample(data, 900 + draw, samples, state.heads);
    risk.add(Eigen::ArrayXd::Constant(1, dynamics.measure(state, sample).risk));
  }
  return {risk.mean()[0], risk.standard_error()[0]};
}

Eigen::ArrayXd flat_rate(const OrderParameters& rate) {
  Eigen::ArrayXd x(rate.student.size() + rate.biases.size());
  x << Eigen::Map<const Eigen::ArrayXd>(rate.student.data(), rate.student.size()), rate.biases.array();
  return x;
}

}  // namespace

TEST_CASE("the drift matches one SGD step's mean change of Omega at D = 1000, the eta^2 term included") {
  // sgd, sgd-sphere with its projected drift, and sgd on an inverse-time
  // schedule at step 125 (t = 125 * 32 / 1000 = 4, tau = 4: factor 1/2),
  // which the limit takes as its rate factor at that time.
  const int variant = GENERATE(0, 1, 2);
  const bool sphere = variant == 1;
  const bool scheduled = variant == 2;
  const std::string optimizer_id = sphere ? "sgd-sphere" : "sgd";
  INFO(optimizer_id << (scheduled ? " with an inverse-time schedule" : ""));
  auto registry = test::builtin_registry();
  DataModel data(registry.get("single-location", PluginKind::DataModel), kData);
  const Teacher teacher{data.teacher_keys(), data.teacher_value()};
  const std::uint32_t heads = 2;
  const std::uint32_t dimension = data.dimension();
  const RowMatrix start = structured_parameters(teacher, heads, 7);
  Eigen::VectorXd biases(heads);
  biases << 0.3, -0.2;
  const double eta = 0.8;
  const std::string optimizer_params =
      std::string("eta = 0.8\nlr_scale = none\nbias_eta = 0.8\nbias_lr_scale = per-dimension\n") +
      (scheduled ? "schedule = inverse-time\nschedule_tau = 4\n" : "");
  const std::uint64_t step = scheduled ? 125 : 0;
  const double factor = scheduled ? LrSchedule::inverse_time(4.0).factor(4.0) : 1.0;

  // Simulation: from the same parameters, many independent steps of batch
  // B; each step's change of Omega times D / B estimates dOmega/dt.
  const std::uint32_t batch = 32;
  const std::uint32_t steps = 512;
  Activation sim_activation(registry.get("softmax1", PluginKind::Activation));
  Learner learner({heads, dimension, data.length(), true}, std::move(sim_activation), batch);
  Optimizer optimizer(registry.get(optimizer_id, PluginKind::Optimizer), optimizer_params);
  optimizer.initialize(learner.parameter_groups());
  const OrderParameters before = order_parameters_of(start, teacher, biases, {});
  std::vector<double> tokens(std::size_t{batch} * data.length() * dimension), labels(batch);
  Rng rng(11);
  Moments simulated;
  for (std::uint32_t k = 0; k < steps; ++k) {
    learner.keys_and_values() = start;
    learner.biases() = biases;
    data.sample(rng, batch, tokens, labels);
    learner.train_batch(tokens, labels, batch);
    // Step 0 makes sgd-sphere take the current norms as its radii.
    std::fill(optimizer.state().begin(), optimizer.state().end(), 0.0);
    optimizer.step({step, batch, dimension}, learner.parameter_groups());
    OrderParameters after = order_parameters_of(learner.keys_and_values(), teacher, learner.biases(), {});
    after.student = (after.student - before.student) * (static_cast<double>(dimension) / batch);
    after.biases = (after.biases - before.biases) * (static_cast<double>(dimension) / batch);
    simulated.add(flat_rate(after));
  }

  // Theory: the same state, four independent base draws (their spread is
  // the Monte Carlo error), and the eta^2 term alone from a second eta.
  Activation activation(registry.get("softmax1", PluginKind::Activation));
  LimitDynamics dynamics(activation, {eta, eta, 0.0, sphere}, true);
  LimitDynamics doubled(activation, {2 * eta, eta, 0.0, sphere}, true);
  Moments theory;
  OrderParameters rate, rate_doubled;
  Eigen::ArrayXd quadratic;
  for (std::uint64_t draw = 0; draw < 4; ++draw) {
    const FieldSample sample = draw_field_sample(data, 100 + draw, 1 << 15, heads);
    dynamics.rate(before, sample, rate, factor);
    theory.add(flat_rate(rate));
    if (draw == 0) {
      // rate(eta) = -eta A + eta^2 B, so B eta^2 = eta (rate(2 eta) / 2 - rate(eta)) / eta ... per component.
      doubled.rate(before, sample, rate_doubled, factor);
      quadratic = (flat_rate(rate_doubled) / 2.0 - flat_rate(rate));  // = eta^2 B (the student block)
    }
  }
  const Eigen::ArrayXd gap = (simulated.mean() - theory.mean()).abs();
  // (A floor for components both sides hold fixed, e.g. sgd-sphere's norms,
  // where the simulation's rescaling leaves only rounding.)
  const Eigen::ArrayXd error = (simulated.standard_error().square() + theory.standard_error().square()).sqrt() + 1e-12;
  const Eigen::Index worst = [&] {
    Eigen::Index index = 0;
    (gap / error).maxCoeff(&index);
    return index;
  }();
  INFO("largest gap " << gap[worst] << " at component " << worst << " (simulation " << simulated.mean()[worst] << " +- "
                      << simulated.standard_error()[worst] << ", theory " << theory.mean()[worst] << " +- "
                      << theory.standard_error()[worst] << ")");
  // 4.5 standard errors over ~30 components: a false alarm is rare, a wrong
  // drift (a missing eta^2 term, a sign) is far outside.
  CHECK((gap <= 4.5 * error).all());
  // The test can see the eta^2 term: somewhere it is larger than 6 standard
  // errors (at the full rate; at half of it the term is a quarter).
  if (!scheduled) CHECK((quadratic.head(before.student.size()).abs() > 6.0 * error.head(before.student.size())).any());
  if (scheduled) {
    // And it would see a missing factor: the drift at the full rate is far off.
    OrderParameters unscheduled;
    dynamics.rate(before, draw_field_sample(data, 100, 1 << 15, heads), unscheduled);
    CHECK(((simulated.mean() - flat_rate(unscheduled)).abs() > 6.0 * error).any());
  }
  if (sphere) {
    // The projection keeps every norm: the Gram's diagonal does not move.
    CHECK(rate.gram().diagonal().cwiseAbs().maxCoeff() < 1e-12);
  }
}

TEST_CASE("the population risk at given overlaps matches the test error of the vectors at D = 1000") {
  auto registry = test::builtin_registry();
  DataModel data(registry.get("single-location", PluginKind::DataModel), kData);
  const Teacher teacher{data.teacher_keys(), data.teacher_value()};
  const std::uint32_t heads = 2;
  const RowMatrix parameters = structured_parameters(teacher, heads, 3);
  Eigen::VectorXd biases(heads);
  biases << -0.4, 0.5;
  for (const std::string id : {"softmax", "softmax1", "bayes-softmax"}) {
    Learner learner({heads, data.dimension(), data.length(), true},
                    Activation(registry.get(id, PluginKind::Activation)), 512);
    learner.keys_and_values() = parameters;
    learner.biases() = biases;
    const TestSet test = make_test_set(data, 5, 1 << 14);
    // Its standard error from the per-sample errors.
    std::vector<double> predictions(512);
    Moments squared;
    for (std::uint32_t first = 0; first < test.size; first += 512) {
      learner.predict({test.tokens.data() + std::size_t{first} * test.length * test.dimension,
                       std::size_t{512} * test.length * test.dimension},
                      512, predictions);
      for (std::uint32_t b = 0; b < 512; ++b) {
        const double e = predictions[b] - test.labels[first + b];
        squared.add(Eigen::ArrayXd::Constant(1, e * e));
      }
    }
    Activation activation(registry.get(id, PluginKind::Activation));
    LimitDynamics dynamics(activation, {0.1, 0.1, 0.0, false}, true);
    const auto [risk, risk_error] =
        limit_risk(dynamics, data, order_parameters_of(parameters, teacher, biases, {}), 4, 1 << 15);
    INFO(id << ": limit " << risk << " +- " << risk_error << ", test error " << squared.mean()[0] << " +- "
            << squared.standard_error()[0]);
    CHECK(std::abs(risk - squared.mean()[0]) <= 4.0 * std::hypot(risk_error, squared.standard_error()[0]));
  }
}

TEST_CASE("Bayes-softmax at the Bayes-optimal point has the Bayes risk, heads sharing a point included") {
  auto registry = test::builtin_registry();
  struct Prior {
    std::string text;
    std::vector<std::vector<double>> support;
    std::vector<double> weights;
    std::uint32_t heads;
  };
  // Two points with unequal weights, one head each; three points on four
  // heads, two of which share a point and split its weight.
  const std::vector<Prior> priors = {
      {"support = [[2.5, 0.0], [-2.5, 0.0]]\nweights = [0.7, 0.3]\n", {{2.5, 0.0}, {-2.5, 0.0}}, {0.7, 0.3}, 2},
      {"support = [[2.5, 0.0], [-2.5, 0.0], [0.0, 2.0]]\nweights = [0.5, 0.2, 0.3]\n",
       {{2.5, 0.0}, {-2.5, 0.0}, {0.0, 2.0}},
       {0.5, 0.2, 0.3},
       4}};
  for (const Prior& prior : priors) {
    DataModel data(registry.get("single-location", PluginKind::DataModel),
                   "D = 100\nL = 8\nprior = discrete\n" + prior.text + "delta = 0.2\n");
    const OrderParameters optimal = bayes_point(prior.support, prior.weights, prior.heads);
    Activation activation(registry.get("bayes-softmax", PluginKind::Activation));
    LimitDynamics dynamics(activation, {0.1, 0.1, 0.0, false}, true);
    const auto [risk, risk_error] = limit_risk(dynamics, data, optimal, 4, 1 << 15);
    Rng rng(4);
    const BayesRiskEstimate bayes = estimate_bayes_risk(data, rng, 1 << 18);
    INFO(prior.text << "limit " << risk << " +- " << risk_error << ", Bayes risk " << bayes.mean << " +- "
                    << bayes.standard_error);
    CHECK(std::abs(risk - bayes.mean) <= 4.0 * std::hypot(risk_error, bayes.standard_error));
    CHECK(risk_error < 0.005);
    // Softmax at the same overlaps normalizes each head on its own: it is
    // not the Bayes predictor there.
    Activation softmax(registry.get("softmax", PluginKind::Activation));
    LimitDynamics softmax_dynamics(softmax, {0.1, 0.1, 0.0, false}, true);
    CHECK(limit_risk(softmax_dynamics, data, optimal, 4, 1 << 15).first > bayes.mean + 0.05);
  }
  CHECK_THROWS_WITH(bayes_point({{1.0}, {-1.0}, {2.0}}, {1.0, 1.0, 1.0}, 2),
                    Catch::Matchers::Contains("H = 2 < 3 points"));
}

TEST_CASE("without signal the limit keeps m = 0 exactly, as the exact ODE does") {
  auto registry = test::builtin_registry();
  // Zero-mean features: m = 0 is a fixed point (the symmetric point); the
  // base draw's paired sign flips keep it exactly despite Monte Carlo noise.
  for (const std::string prior : {"mean = [0.0, 0.0]\nstd = [0.0, 0.0]\n", "mean = [0.0, 0.0]\nstd = [2.0, 1.0]\n"}) {
    DataModel data(registry.get("single-location", PluginKind::DataModel), "D = 200\nL = 6\nF = 2\n" + prior);
    const Teacher teacher{data.teacher_keys(), data.teacher_value()};
    RowMatrix start = structured_parameters(teacher, 2, 5);
    // Keys and values orthogonal to the features (values still along v*).
    start.leftCols(2).setZero();
    OrderParameters state = order_parameters_of(start, teacher, Eigen::VectorXd::Zero(2), {});
    REQUIRE(state.teacher_overlaps().leftCols(2).isZero(0.0));
    Activation activation(registry.get("softmax1", PluginKind::Activation));
    LimitDynamics dynamics(activation, {0.5, 0.5, 0.0, false}, true);
    const FieldSample sample = draw_field_sample(data, 3, 4096, 2);
    OrderParameters rate;
    dynamics.rate(state, sample, rate);
    INFO(prior);
    CHECK(rate.teacher_overlaps().leftCols(2).cwiseAbs().maxCoeff() < 1e-13);
    // Values still learn: the check is not vacuous.
    CHECK(rate.teacher_overlaps().rightCols(1).cwiseAbs().maxCoeff() > 1e-3);
  }
}
