// TheoryRun end to end: what it refuses, where it starts, and what it
// reports; the two integrators agree on a real limit.
#include "../experiments/test_plugins.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/theory/theory_run.hpp>
#include <attnlab/framework/training/comparison.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace attnlab;

// The default comparison, short, with the D-scaled bias step the limit needs.
CompareConfig short_config(std::vector<std::string> overrides = {}) {
  std::vector<std::string> all{"train.time=30",           "eval.log_points=6",
                               "eval.bayes_samples=2000", "train.optimizer_params.bias_lr_scale=per-dimension",
                               "theory.samples=512",      "theory.draws=2",
                               "theory.risk_samples=4096"};
  all.insert(all.end(), overrides.begin(), overrides.end());
  return load_compare_config(std::nullopt, all);
}

std::string refusal(const CompareConfig& config) {
  auto registry = test::builtin_registry();
  try {
    TheoryRun run(config, registry);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(accepted)";
}

std::vector<LogPoint> run_all(TheoryRun& run) {
  std::vector<LogPoint> points;
  REQUIRE(run.run([&](const LogPoint& point) { points.push_back(point); }));
  return points;
}

}  // namespace

TEST_CASE("settings without a limit are refused, naming the setting and the fix") {
  using Catch::Matchers::Contains;
  CHECK_THAT(refusal(short_config({"train.optimizer=adam"})), Contains("'adam' has no high-dimensional limit"));
  CHECK_THAT(refusal(short_config({"train.optimizer_params.bias_lr_scale=none"})),
             Contains("bias_lr_scale = \"per-dimension\"") && Contains("model.bias = false"));
  CHECK_THAT(refusal(short_config({"train.optimizer_params.lr_scale=per-dimension"})), Contains("lr_scale = \"none\""));
  // Biases that are not trained need no step of their own.
  CHECK(refusal(short_config({"train.optimizer_params.bias_lr_scale=none", "model.bias=false"})) == "(accepted)");
  // sgd-sphere has a derived drift.
  CHECK(refusal(short_config({"train.optimizer=sgd-sphere"})) == "(accepted)");
}

TEST_CASE("the limit starts from the exact overlaps of the simulation's initial parameters") {
  auto registry = test::builtin_registry();
  const CompareConfig config = short_config();
  TheoryRun run(config, registry);
  Comparison comparison(config, registry);
  CHECK(run.initial_dimension() == 100);
  for (std::size_t model = 0; model < config.activations.size(); ++model) {
    const Learner& learner = comparison.learner(model);
    const OrderParameters expected = order_parameters_of(learner.keys_and_values(), comparison.teacher(),
                                                         learner.biases(), learner.activation_parameters());
    CHECK(run.initial_states()[model].student == expected.student);
  }
  // At another D and seed: other overlaps, of the size 1/sqrt(D) says.
  TheoryRun large(short_config({"theory.D=40000", "theory.seed=9"}), registry);
  CHECK(large.initial_dimension() == 40000);
  const auto overlaps = large.initial_states()[0].teacher_overlaps();
  // init_scale 0.1: m ~ N(0, 0.01 / D).
  CHECK(overlaps.cwiseAbs().maxCoeff() < 5 * 0.1 / std::sqrt(40000.0));
  CHECK(overlaps.cwiseAbs().maxCoeff() > 0.0);
}

TEST_CASE("a run reports every log point in the comparison's form, with a band, and both integrators agree") {
  auto registry = test::builtin_registry();
  TheoryRun rosenbrock(short_config(), registry);
  TheoryRun rk45(short_config({"theory.integrator=rk45"}), registry);
  const auto a = run_all(rosenbrock);
  const auto b = run_all(rk45);
  REQUIRE(a.size() == rosenbrock.schedule().log_steps.size());
  REQUIRE(b.size() == a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].time == rosenbrock.schedule().time_at(rosenbrock.schedule().log_steps[i]));
    for (std::size_t m = 0; m < a[i].models.size(); ++m) {
      const ModelLog& x = a[i].models[m];
      REQUIRE(x.evaluation);
      REQUIRE(x.test_mse_band);
      CHECK(*x.test_mse_band >= 0.0);
      CHECK(x.evaluation->key_overlaps.rows() == 4);
      CHECK(x.evaluation->key_overlaps.cols() == 3);
      CHECK(x.evaluation->usage.size() == 4);
      const double gap = std::abs(x.evaluation->test_mse - b[i].models[m].evaluation->test_mse);
      INFO(x.activation << " at t = " << a[i].time << ": " << x.evaluation->test_mse << " vs "
                        << b[i].models[m].evaluation->test_mse);
      CHECK(gap < 1e-3);
    }
  }
  // Training lowers the population risk of every activation.
  for (std::size_t m = 0; m < a.front().models.size(); ++m) {
    CHECK(a.back().models[m].evaluation->test_mse < a.front().models[m].evaluation->test_mse - 0.02);
  }
}

TEST_CASE("a bad schedule is refused by the limit as by the optimizer, naming the key") {
  using Catch::Matchers::Contains;
  CHECK_THAT(refusal(short_config({"train.optimizer_params.schedule=cosine"})),
             Contains("train.optimizer_params") && Contains("needs schedule_period"));
  CHECK_THAT(
      refusal(short_config({"train.optimizer_params.schedule=inverse-time", "train.optimizer_params.schedule_tau=0"})),
      Contains("schedule_tau = 0 must be positive"));
}

TEST_CASE("a step schedule's limit is the constant limit restarted at the step with the smaller rate") {
  // eta = 0.1 halved at t = t1 (a log time past half of the span, so that it
  // halves once) against: the limit at eta = 0.1 to t1, then, from its state
  // there, the limit at eta = 0.05. Both integrate the same equations on the
  // same draws from the same state, so they agree to rounding.
  auto registry = test::builtin_registry();
  const std::vector<std::string> base{"activations=[\"softmax1\"]", "theory.draws=1", "eval.log_points=12"};
  TheoryRun probe(short_config(base), registry);
  const TrainingSchedule& schedule = probe.schedule();
  const double end = schedule.time_at(schedule.log_steps.back());
  std::size_t k = 1;
  while (schedule.time_at(schedule.log_steps[k]) <= end / 2) ++k;
  REQUIRE(k + 1 < schedule.log_steps.size());
  const double t1 = schedule.time_at(schedule.log_steps[k]);
  std::ostringstream interval;
  interval << std::setprecision(17) << "train.optimizer_params.schedule_interval=" << t1;
  std::vector<std::string> stepped = base;
  stepped.insert(stepped.end(), {"train.optimizer_params.schedule=step", "train.optimizer_params.schedule_factor=0.5",
                                 interval.str()});
  TheoryRun scheduled(short_config(stepped), registry);
  const auto a = run_all(scheduled);
  REQUIRE(a.size() == schedule.log_steps.size());
  REQUIRE(a[k].time == t1);
  // The state at t1, from the scheduled run's own log point.
  const Evaluation& at_t1 = *a[k].models[0].evaluation;
  OrderParameters state = scheduled.initial_states()[0];
  state.student = at_t1.student_overlaps;
  state.biases = at_t1.biases;
  state.activation_parameters = at_t1.activation_parameters;

  std::vector<std::string> halved = base;
  halved.push_back("train.optimizer_params.eta=0.05");
  TheoryRun restarted(short_config(halved), registry);
  restarted.start_from(t1, {state});
  const auto b = run_all(restarted);
  REQUIRE(b.size() == a.size() - k);
  for (std::size_t i = 1; i < b.size(); ++i) {
    const Evaluation& x = *a[i + k].models[0].evaluation;
    const Evaluation& y = *b[i].models[0].evaluation;
    INFO("t = " << b[i].time << ": test MSE " << x.test_mse << " vs " << y.test_mse);
    CHECK(a[i + k].time == b[i].time);
    CHECK(std::abs(x.test_mse - y.test_mse) < 1e-9);
    CHECK((x.student_overlaps - y.student_overlaps).cwiseAbs().maxCoeff() < 1e-9);
  }
  // The schedule matters: at the constant rate the limit ends elsewhere.
  TheoryRun constant(short_config(base), registry);
  const auto c = run_all(constant);
  const double moved =
      (c.back().models[0].evaluation->student_overlaps - a.back().models[0].evaluation->student_overlaps)
          .cwiseAbs()
          .maxCoeff();
  INFO("constant against step schedule at the end: " << moved);
  CHECK(moved > 1e-3);
}
