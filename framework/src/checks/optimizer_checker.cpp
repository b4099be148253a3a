#include "checks/check_support.hpp"

#include <attnlab/framework/checks/optimizer_checker.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/hosting/optimizer.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

namespace attnlab {
namespace {

using check::CheckFailure;
using check::GuardedBuffer;
using check::sci;
using Buffer = std::vector<double>;

constexpr std::uint32_t kGuardedSteps = 3;

struct GroupShape {
  std::uint32_t role;
  std::uint32_t vectors;
  std::uint32_t length;
};

const char* role_name(std::uint32_t role) {
  switch (role) {
    case ATTNLAB_GROUP_KEYS:
      return "keys";
    case ATTNLAB_GROUP_VALUES:
      return "values";
    case ATTNLAB_GROUP_BIASES:
      return "biases";
    default:
      return "activation";
  }
}

bool on_sphere(std::uint32_t constraint, std::uint32_t role) {
  return constraint == ATTNLAB_CONSTRAINT_SPHERE && (role == ATTNLAB_GROUP_KEYS || role == ATTNLAB_GROUP_VALUES);
}

// A random starting point and the convex quadratic
//   loss = 0.5 sum_i a_i (x_i - c_i)^2,  a_i ~ U[0.5, 2],  x_i, c_i ~ N(0, 1),
// over every parameter of every group. Buffers carry guard regions, so the
// same problem serves the out-of-bounds check. Not copyable: the groups
// point into it.
class Problem {
 public:
  Problem(const std::vector<GroupShape>& shapes, std::uint64_t seed) {
    Rng rng(seed);
    for (const GroupShape& shape : shapes) {
      const std::size_t n = std::size_t{shape.vectors} * shape.length;
      values_.emplace_back(n, 0.0);
      gradients_.emplace_back(n, 0.0);
      rng.fill_normal(values_.back().data(), n);
      Buffer& a = curvature_.emplace_back(n);
      for (double& x : a) x = rng.uniform(0.5, 2.0);
      Buffer& c = centre_.emplace_back(n);
      rng.fill_normal(c.data(), n);
    }
    for (std::size_t g = 0; g < shapes.size(); ++g) {
      groups_.push_back({shapes[g].role, shapes[g].vectors, shapes[g].length, values_[g].data(), gradients_[g].data()});
    }
  }
  Problem(const Problem&) = delete;
  Problem& operator=(const Problem&) = delete;

  std::vector<attnlab_parameter_group>& groups() { return groups_; }
  std::vector<GuardedBuffer>& values() { return values_; }
  const std::vector<GuardedBuffer>& gradients() const { return gradients_; }
  std::vector<GuardedBuffer>& gradients() { return gradients_; }

  double loss() const {
    double sum = 0.0;
    for (std::size_t g = 0; g < values_.size(); ++g) {
      const double* x = values_[g].data();
      for (std::size_t i = 0; i < values_[g].size(); ++i) {
        sum += 0.5 * curvature_[g][i] * (x[i] - centre_[g][i]) * (x[i] - centre_[g][i]);
      }
    }
    return sum;
  }

  void compute_gradients() {
    for (std::size_t g = 0; g < values_.size(); ++g) {
      const double* x = values_[g].data();
      double* out = gradients_[g].data();
      for (std::size_t i = 0; i < values_[g].size(); ++i) out[i] = curvature_[g][i] * (x[i] - centre_[g][i]);
    }
  }

  void zero_gradients() {
    for (GuardedBuffer& g : gradients_) std::fill_n(g.data(), g.size(), 0.0);
  }

  // Every parameter, group after group.
  Buffer all_values() const {
    Buffer out;
    for (const GuardedBuffer& v : values_) out.insert(out.end(), v.view().begin(), v.view().end());
    return out;
  }

  // Norm of each vector of group g.
  Buffer norms(std::size_t g) const {
    Buffer out;
    const attnlab_parameter_group& group = groups_[g];
    for (std::uint32_t k = 0; k < group.vectors; ++k) {
      double sum = 0.0;
      for (std::uint32_t i = 0; i < group.length; ++i) {
        const double x = group.values[std::size_t{k} * group.length + i];
        sum += x * x;
      }
      out.push_back(std::sqrt(sum));
    }
    return out;
  }

 private:
  std::vector<GuardedBuffer> values_, gradients_;
  std::vector<Buffer> curvature_, centre_;
  std::vector<attnlab_parameter_group> groups_;
};

using RawInstance = check::RawInstance<attnlab_optimizer_table>;

class OptimizerChecker {
 public:
  OptimizerChecker(std::shared_ptr<const PluginLibrary> plugin, const OptimizerCheckOptions& options)
      : plugin_(std::move(plugin)),
        options_(options),
        constraint_(plugin_->table<attnlab_optimizer_table>().constraint) {
    shapes_ = {{ATTNLAB_GROUP_KEYS, options.heads, options.dimension},
               {ATTNLAB_GROUP_VALUES, options.heads, options.dimension},
               {ATTNLAB_GROUP_BIASES, 1, options.heads}};
    if (options.activation_parameters > 0) {
      shapes_.push_back({ATTNLAB_GROUP_ACTIVATION, 1, options.activation_parameters});
    }
    for (const GroupShape& s : shapes_) parameters_ += std::size_t{s.vectors} * s.length;
  }

  std::vector<CheckResult> run() {
    check::CheckList checks(options_.check_timeout_seconds);
    checks.carry([this] { return stop_ ? stop_reason_ : std::string(); },
                 [this](const std::string& reason) {
                   if (reason.empty()) return;
                   stop_ = true;
                   stop_reason_ = reason;
                 });
    if (!checks.create([this] {
          const RawInstance raw(*plugin_, options_.params);
          return std::string();
        })) {
      return checks.take();
    }
    // Each check runs in a child process, which makes its own instances.
    checks.run("state size", [&] {
      RawInstance raw(*plugin_, options_.params);
      return check_state_size(raw);
    });
    if (stop_) {
      // The wrapper allocates whatever state_size says, without guards.
      checks.fail("remaining checks", stop_reason_);
      return checks.take();
    }
    checks.run("descent on a quadratic", [&] { return check_descent(); });
    checks.run("zero gradient", [&] { return check_zero_gradient(); });
    checks.run("determinism", [&] { return check_determinism(); });
    checks.run("constraints", [&] { return check_constraint(); });
    checks.run("long run", [&] { return check_long_run(); });
    return checks.take();
  }

 private:
  std::string layout_text() const {
    std::string text;
    for (const GroupShape& s : shapes_) {
      text += (text.empty() ? "" : ", ") + std::string(role_name(s.role)) + " " + std::to_string(s.vectors) + "x" +
              std::to_string(s.length);
    }
    return text;
  }

  attnlab_step_info step_info(std::uint64_t step) const { return {step, 1, options_.dimension}; }

  std::uint64_t seed(std::uint64_t run) const { return stream_seed(options_.seed, StreamPurpose::Checks, run); }

  [[noreturn]] void stop(const std::string& message, const std::string& reason) {
    stop_ = true;
    stop_reason_ = "not run: " + reason;
    throw CheckFailure(message);
  }

  // A sane state size, and steps that write only the values and the state.
  std::string check_state_size(RawInstance& raw) {
    Problem problem(shapes_, seed(0));
    auto& groups = problem.groups();
    const auto count = static_cast<std::uint32_t>(groups.size());
    std::size_t size = 0;
    raw.require_ok(raw.table().state_size(raw.get(), groups.data(), count, &size, raw.error()), "state_size");
    const double per_parameter = static_cast<double>(size) / static_cast<double>(parameters_);
    const std::string sized = "state_size = " + std::to_string(size) + " doubles for " + std::to_string(parameters_) +
                              " parameters (" + layout_text() + "): " + check::fixed(per_parameter) +
                              " per parameter (bound " + check::fixed(options_.max_state_per_parameter) + ")";
    if (!(per_parameter <= options_.max_state_per_parameter)) stop(sized, "the state size is not sane");

    GuardedBuffer state(size, 0.0);  // zeroed, as the host promises
    for (std::uint32_t step = 0; step < kGuardedSteps; ++step) {
      problem.compute_gradients();
      std::vector<Buffer> gradients;
      for (const GuardedBuffer& g : problem.gradients()) gradients.emplace_back(g.view().begin(), g.view().end());
      raw.require_ok(raw.table().step(raw.get(), step_info(step), groups.data(), count, state.data(), raw.error()),
                     "step " + std::to_string(step));
      std::string where = check::outside_writes(state, "state");
      for (std::size_t g = 0; g < groups.size() && where.empty(); ++g) {
        const std::string name = role_name(groups[g].role);
        where = check::outside_writes(problem.values()[g], name + " values");
        if (where.empty()) where = check::outside_writes(problem.gradients()[g], name + " gradients");
      }
      if (!where.empty()) {
        stop("step " + std::to_string(step) + " wrote " + where, "the plugin writes outside its buffers");
      }
      for (std::size_t g = 0; g < groups.size(); ++g) {
        if (!check::same_bits(gradients[g], problem.gradients()[g].view())) {
          throw CheckFailure("step " + std::to_string(step) + " changed the " + role_name(groups[g].role) +
                             " gradients (they are the host's, read-only)");
        }
      }
    }
    return sized + "; " + std::to_string(kGuardedSteps) + " steps wrote nothing outside the values and the state";
  }

  // Descends, rather than ascends or diverges, with the plugin's defaults.
  std::string check_descent() const {
    Optimizer optimizer(plugin_, options_.params);
    Problem problem(shapes_, seed(1));
    optimizer.initialize(problem.groups());
    const double initial = problem.loss();
    for (std::uint32_t step = 0; step < options_.descent_steps; ++step) {
      problem.compute_gradients();
      optimizer.step(step_info(step), problem.groups());
    }
    const double ratio = problem.loss() / initial;
    const std::string detail = "loss 0.5 sum a_i (x_i - c_i)^2 (a_i in [0.5, 2]) over " + std::to_string(parameters_) +
                               " parameters, " + std::to_string(options_.descent_steps) +
                               " steps from a random start (batch 1, D = " + std::to_string(options_.dimension) +
                               "): final / initial = " + sci(ratio) + " (must be < 1)";
    if (!(std::isfinite(ratio) && ratio < 1.0)) throw CheckFailure(detail);
    return detail;
  }

  // A zero gradient is no reason to move: the parameters stay, exactly, or
  // (on the sphere) up to the rounding of rescaling to the same norm.
  std::string check_zero_gradient() const {
    Optimizer optimizer(plugin_, options_.params);
    Problem problem(shapes_, seed(2));
    problem.zero_gradients();
    const Buffer before = problem.all_values();
    optimizer.initialize(problem.groups());
    optimizer.step(step_info(0), problem.groups());
    const Buffer after = problem.all_values();

    std::size_t changed = 0;
    double largest = 0.0;
    double sphere_worst = 0.0;
    std::size_t offset = 0;
    for (const GroupShape& shape : shapes_) {
      for (std::uint32_t k = 0; k < shape.vectors; ++k, offset += shape.length) {
        const std::span<const double> x(before.data() + offset, shape.length);
        const std::span<const double> y(after.data() + offset, shape.length);
        if (on_sphere(constraint_, shape.role)) {
          double difference = 0.0;
          double norm = 0.0;
          for (std::size_t i = 0; i < x.size(); ++i) {
            difference += (y[i] - x[i]) * (y[i] - x[i]);
            norm += x[i] * x[i];
          }
          const double relative = norm > 0 ? std::sqrt(difference / norm) : std::sqrt(difference);
          // NaN must fail too, hence the negated comparison.
          sphere_worst = !(relative <= sphere_worst) ? relative : sphere_worst;
          continue;
        }
        for (std::size_t i = 0; i < x.size(); ++i) {
          if (check::same_bits(x.subspan(i, 1), y.subspan(i, 1))) continue;
          ++changed;
          const double moved = std::fabs(y[i] - x[i]);
          largest = !(moved <= largest) ? moved : largest;
        }
      }
    }
    const std::string prefix = "one step with zero gradients on fresh state: ";
    if (constraint_ != ATTNLAB_CONSTRAINT_SPHERE) {
      if (changed > 0) {
        throw CheckFailure(prefix + std::to_string(changed) + " of " + std::to_string(parameters_) +
                           " parameters changed, max |x' - x| = " + sci(largest) + " (must be bit-identical)");
      }
      return prefix + "all " + std::to_string(parameters_) + " parameters bit-identical";
    }
    const std::string detail =
        prefix + "key and value vectors max |x' - x|/|x| = " + sci(sphere_worst) + " (bound " +
        sci(options_.sphere_tolerance) + "); biases and activation parameters " +
        (changed == 0 ? "bit-identical" : std::to_string(changed) + " changed (must be bit-identical)");
    if (changed > 0 || !(sphere_worst <= options_.sphere_tolerance)) throw CheckFailure(detail);
    return detail;
  }

  std::string check_determinism() const {
    std::vector<Buffer> values;
    std::vector<Buffer> states;
    for (int run = 0; run < 2; ++run) {
      Optimizer optimizer(plugin_, options_.params);
      Problem problem(shapes_, seed(3));
      optimizer.initialize(problem.groups());
      for (std::uint32_t step = 0; step < options_.steps; ++step) {
        problem.compute_gradients();
        optimizer.step(step_info(step), problem.groups());
      }
      values.push_back(problem.all_values());
      states.emplace_back(optimizer.state().begin(), optimizer.state().end());
    }
    if (!check::same_bits(values[0], values[1])) {
      throw CheckFailure("parameters differ between two fresh instances after " + std::to_string(options_.steps) +
                         " identical steps");
    }
    if (!check::same_bits(states[0], states[1])) {
      throw CheckFailure("states differ between two fresh instances after " + std::to_string(options_.steps) +
                         " identical steps");
    }
    return "two fresh instances, " + std::to_string(options_.steps) +
           " steps on the same quadratic: " + std::to_string(parameters_) + " parameters and " +
           std::to_string(states[0].size()) + " state doubles bit-identical";
  }

  // The declared invariant, step by step. On the sphere, biases and
  // activation parameters must stay free: the constraint is on keys and
  // values only, and the quadratic pulls every norm away from its start.
  std::string check_constraint() const {
    if (constraint_ == ATTNLAB_CONSTRAINT_NONE) return "none declared";
    if (constraint_ != ATTNLAB_CONSTRAINT_SPHERE) {
      throw CheckFailure("unknown constraint " + std::to_string(constraint_) + " (0 none, 1 sphere)");
    }
    Optimizer optimizer(plugin_, options_.params);
    Problem problem(shapes_, seed(4));
    optimizer.initialize(problem.groups());
    double constrained = 0.0;
    double free = 0.0;
    bool any_free = false;
    for (std::uint32_t step = 0; step < options_.steps; ++step) {
      std::vector<Buffer> before;
      for (std::size_t g = 0; g < shapes_.size(); ++g) before.push_back(problem.norms(g));
      problem.compute_gradients();
      optimizer.step(step_info(step), problem.groups());
      for (std::size_t g = 0; g < shapes_.size(); ++g) {
        const Buffer after = problem.norms(g);
        const bool sphere = on_sphere(constraint_, shapes_[g].role);
        any_free = any_free || !sphere;
        for (std::size_t k = 0; k < after.size(); ++k) {
          if (!(before[g][k] > 0)) continue;  // a zero vector has no norm to keep
          const double change = std::fabs(after[k] / before[g][k] - 1.0);
          double& worst = sphere ? constrained : free;
          worst = !(change <= worst) ? change : worst;
        }
      }
    }
    const std::string detail = "sphere: max ||x'|/|x| - 1| over key and value vectors in " +
                               std::to_string(options_.steps) + " steps = " + sci(constrained) + " (bound " +
                               sci(options_.sphere_tolerance) + ")";
    if (!(constrained <= options_.sphere_tolerance)) throw CheckFailure(detail);
    if (!any_free) return detail;
    const std::string free_text = "biases and activation parameters: norms changed by up to " + sci(free);
    if (!(free > options_.sphere_tolerance)) {
      throw CheckFailure(detail + "; " + free_text + ", yet the sphere constraint covers only keys and values");
    }
    return detail + "; " + free_text + " (free)";
  }

  // Many steps with random gradients at scales from 1e-3 to 1e3 (random, so
  // that no step size can make them diverge): finds the plugin that fails
  // only late (after N steps) or only for some gradients. Values and state
  // must stay finite.
  std::string check_long_run() const {
    Optimizer optimizer(plugin_, options_.params);
    Problem problem(shapes_, seed(5));
    Rng rng(seed(6));
    optimizer.initialize(problem.groups());
    const std::array<double, 4> scales = {1e-3, 1.0, 1e3, 0.1};
    for (std::uint32_t step = 0; step < options_.long_run_calls; ++step) {
      const double scale = scales[step % scales.size()];
      for (GuardedBuffer& gradients : problem.gradients()) {
        for (double& g : gradients.span()) g = scale * rng.normal();
      }
      const std::string at = " at step " + std::to_string(step + 1) + " (gradients of scale " + sci(scale) + ")";
      try {
        optimizer.step(step_info(step), problem.groups());
      } catch (const std::exception& e) {
        throw CheckFailure(e.what() + at);
      }
      for (const attnlab_parameter_group& group : problem.groups()) {
        const std::size_t n = std::size_t{group.vectors} * group.length;
        for (std::size_t i = 0; i < n; ++i) {
          if (!std::isfinite(group.values[i])) {
            throw CheckFailure(std::string(role_name(group.role)) + " value " + std::to_string(i) + " is " +
                               std::to_string(group.values[i]) + at);
          }
        }
      }
      const auto state = optimizer.state();
      for (std::size_t i = 0; i < state.size(); ++i) {
        if (!std::isfinite(state[i])) {
          throw CheckFailure("state entry " + std::to_string(i) + " is " + std::to_string(state[i]) + at);
        }
      }
    }
    return std::to_string(options_.long_run_calls) +
           " steps, random gradients at scales 1e-3 to 1e3: values and state finite";
  }

  std::shared_ptr<const PluginLibrary> plugin_;
  OptimizerCheckOptions options_;
  std::uint32_t constraint_;
  std::vector<GroupShape> shapes_;
  std::size_t parameters_ = 0;
  bool stop_ = false;
  std::string stop_reason_;
};

}  // namespace

std::vector<CheckResult> check_optimizer(const std::shared_ptr<const PluginLibrary>& plugin,
                                         const OptimizerCheckOptions& options) {
  if (plugin->kind() != PluginKind::Optimizer) {
    throw UsageError(plugin->label() + " is " + with_article(plugin->kind()) + ", not an optimizer");
  }
  if (options.heads < 1 || options.dimension < 1) {
    throw UsageError("the optimizer checks need at least 1 head and dimension 1, got " + std::to_string(options.heads) +
                     " and " + std::to_string(options.dimension));
  }
  return OptimizerChecker(plugin, options).run();
}

}  // namespace attnlab
