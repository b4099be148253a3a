#include <attnlab/framework/checks/activation_checker.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/hosting/activation.hpp>

#include "checks/check_support.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <optional>
#include <utility>

namespace attnlab {
namespace {

using Buffer = std::vector<double>;
using Mask = std::vector<unsigned char>;

std::string shape_text(ScoreShape shape) {
  return std::to_string(shape.batch) + "x" + std::to_string(shape.heads) + "x" + std::to_string(shape.length);
}

using check::CheckFailure;
using check::GuardedBuffer;
using check::sci;

struct Gradients {
  Buffer scores;
  Buffer parameters;
};

class ActivationChecker {
 public:
  ActivationChecker(std::shared_ptr<const PluginLibrary> plugin, const ActivationCheckOptions& options)
      : plugin_(std::move(plugin)), options_(options), rng_(options.seed) {}

  std::vector<CheckResult> run() {
    check::CheckList checks(options_.check_timeout_seconds);
    checks.carry([this] { return std::string(wrote_out_of_bounds_ ? "1" : "0"); },
                 [this](const std::string& state) { wrote_out_of_bounds_ = wrote_out_of_bounds_ || state == "1"; });
    const auto made =
        checks.create([this] { return std::to_string(Activation(plugin_, options_.params).parameter_count()); });
    if (!made) return checks.take();
    parameter_count_ = std::stoul(*made);
    // Each check runs in a child process, which makes its own instance here.
    checks.run("shapes", [&] { return check_shapes(instance()); });
    if (wrote_out_of_bounds_) {
      // Later checks hand the plugin unguarded buffers, which it would
      // corrupt; a plugin that merely throws or returns NaN is safe to go on.
      checks.fail("remaining checks", "not run: the plugin writes outside its buffers");
      return checks.take();
    }
    checks.run("extreme-scores", [&] { return check_extreme_scores(instance()); });
    checks.run("normalization", [&] { return check_normalization(instance()); });
    checks.run("head-mask", [&] { return check_head_mask(instance()); });
    checks.run("backward", [&] { return check_backward(instance()); });
    if (parameter_count_ > 0) {
      checks.run("backward-parameters", [&] { return check_parameter_gradient(instance()); });
    }
    checks.run("determinism", [&] { return check_determinism(instance()); });
    checks.run("long run", [&] { return check_long_run(instance()); });
    return checks.take();
  }

 private:
  Activation& instance() {
    if (!activation_) activation_.emplace(plugin_, options_.params);
    return *activation_;
  }

  Buffer random_buffer(std::size_t size, double scale) {
    Buffer values(size);
    for (auto& v : values) v = scale * rng_.normal();
    return values;
  }

  static Buffer forward(Activation& a, ScoreShape shape, const Buffer& scores, const Mask& mask = {}) {
    Buffer weights(shape.size());
    a.forward(shape, scores, mask, weights);
    return weights;
  }

  static Gradients backward(Activation& a, ScoreShape shape, const Buffer& scores, const Buffer& weights,
                            const Buffer& grad_weights, const Mask& mask = {}) {
    Gradients g{Buffer(shape.size()), Buffer(a.parameter_count())};
    a.backward(shape, scores, weights, mask, grad_weights, g.scores, g.parameters);
    return g;
  }

  static void require_finite(std::span<const double> values, ScoreShape shape, const std::string& what) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (std::isfinite(values[i])) continue;
      const std::size_t per_sample = std::size_t{shape.heads} * shape.length;
      const bool unwritten = check::is_poison(values[i]);
      throw CheckFailure(what + " [" + std::to_string(i / per_sample) + "," +
                         std::to_string(i % per_sample / shape.length) + "," + std::to_string(i % shape.length) +
                         "] of a " + shape_text(shape) + " batch " +
                         (unwritten ? "was never written" : "is " + std::to_string(values[i])));
    }
  }

  // Every output entry written, nothing written past the end, all finite.
  std::string check_shapes(Activation& a) {
    const std::vector<ScoreShape> shapes = {{1, 1, 1}, {3, 4, 7}, {2, 1, 16}, {4, 3, 1}, {1, 8, 33}};
    for (const ScoreShape shape : shapes) {
      const Buffer scores = random_buffer(shape.size(), 2.0);
      GuardedBuffer weights(shape.size());
      // Without the wrapper's own finiteness check: here an unwritten entry
      // must be reported as such.
      a.forward(shape, scores, {}, weights.span(), Activation::OutputCheck::None);
      require_finite(weights.view(), shape, "weight");
      if (const auto outside = check::outside_writes(weights, shape_text(shape) + " weights"); !outside.empty()) {
        wrote_out_of_bounds_ = true;
        throw CheckFailure("forward wrote " + outside);
      }
      const Buffer weights_copy(weights.view().begin(), weights.view().end());
      const Buffer grad_weights = random_buffer(shape.size(), 1.0);
      GuardedBuffer grad_scores(shape.size());
      GuardedBuffer grad_parameters(a.parameter_count());
      a.backward(shape, scores, weights_copy, {}, grad_weights, grad_scores.span(), grad_parameters.span());
      require_finite(grad_scores.view(), shape, "score gradient");
      require_finite(grad_parameters.view(), shape, "parameter gradient");
      for (const auto& [buffer, name] :
           {std::pair{&grad_scores, "score gradient"}, {&grad_parameters, "parameter gradient"}}) {
        if (const auto outside = check::outside_writes(*buffer, shape_text(shape) + " " + name); !outside.empty()) {
          wrote_out_of_bounds_ = true;
          throw CheckFailure("backward wrote " + outside);
        }
      }
    }
    return std::to_string(shapes.size()) + " shapes from 1x1x1 to 1x8x33: every entry written, none past the end";
  }

  std::vector<Buffer> extreme_score_sets(ScoreShape shape) {
    Buffer mixed(shape.size());
    for (auto& s : mixed) s = (rng_.uniform() < 0.5 ? -1e3 : 1e3) + rng_.normal();
    return {mixed, Buffer(shape.size(), 1e3), Buffer(shape.size(), -1e3)};
  }

  std::string check_extreme_scores(Activation& a) {
    const ScoreShape shape{3, 4, 7};
    for (const Buffer& scores : extreme_score_sets(shape)) {
      const Buffer weights = forward(a, shape, scores);
      const Gradients g = backward(a, shape, scores, weights, random_buffer(shape.size(), 1.0));
      require_finite(g.scores, shape, "score gradient");
      require_finite(g.parameters, shape, "parameter gradient");
    }
    return "scores of +-1e3 (mixed, all +1e3, all -1e3): weights and gradients finite";
  }

  // Worst violation of the declared property over the active heads.
  static double normalization_violation(attnlab_normalization norm, ScoreShape shape, const Buffer& weights,
                                        const Mask& mask) {
    const auto active = [&](std::uint32_t h) { return mask.empty() || mask[h] != 0; };
    double worst = 0.0;
    for (std::uint32_t b = 0; b < shape.batch; ++b) {
      double joint = 0.0;
      bool any_active = false;
      for (std::uint32_t h = 0; h < shape.heads; ++h) {
        if (!active(h)) continue;
        any_active = true;
        double head_sum = 0.0;
        for (std::uint32_t l = 0; l < shape.length; ++l) {
          const double w = weights[(std::size_t{b} * shape.heads + h) * shape.length + l];
          head_sum += w;
          if (norm == ATTNLAB_NORM_PER_HEAD_SUM_AT_MOST_ONE) worst = std::max(worst, -w);
        }
        joint += head_sum;
        if (norm == ATTNLAB_NORM_PER_HEAD_SUM_ONE) worst = std::max(worst, std::fabs(head_sum - 1.0));
        if (norm == ATTNLAB_NORM_PER_HEAD_SUM_AT_MOST_ONE) worst = std::max(worst, head_sum - 1.0);
      }
      if (norm == ATTNLAB_NORM_JOINT_SUM_ONE && any_active) worst = std::max(worst, std::fabs(joint - 1.0));
    }
    return worst;
  }

  static const char* normalization_formula(attnlab_normalization norm) {
    switch (norm) {
      case ATTNLAB_NORM_PER_HEAD_SUM_ONE:
        return "per-head sum 1: max |sum_l A - 1|";
      case ATTNLAB_NORM_PER_HEAD_SUM_AT_MOST_ONE:
        return "per-head sum <= 1, A >= 0: max violation";
      case ATTNLAB_NORM_JOINT_SUM_ONE:
        return "joint sum 1: max |sum_hl A - 1|";
      case ATTNLAB_NORM_NONE:
        break;
    }
    return "none declared";
  }

  std::string check_normalization(Activation& a) {
    const auto norm = a.normalization();
    if (norm == ATTNLAB_NORM_NONE) return "none declared, nothing to check";
    const ScoreShape shape{8, 4, 9};
    std::vector<Buffer> inputs = extreme_score_sets(shape);
    inputs.push_back(random_buffer(shape.size(), 3.0));
    inputs.push_back(random_buffer(shape.size(), 0.1));
    double worst = 0.0;
    for (const Buffer& scores : inputs) {
      worst = std::max(worst, normalization_violation(norm, shape, forward(a, shape, scores), {}));
      worst =
          std::max(worst, normalization_violation(norm, shape, forward(a, shape, scores, {1, 0, 1, 1}), {1, 0, 1, 1}));
    }
    const std::string detail = std::string(normalization_formula(norm)) + " = " + sci(worst) + " (bound " +
                               sci(options_.normalization_tolerance) + ")";
    if (!(worst <= options_.normalization_tolerance)) throw CheckFailure(detail);
    return detail;
  }

  // Masked heads: weight 0, gradient 0, and the active heads behave exactly
  // as if the masked ones had been removed from the score matrix.
  std::string check_head_mask(Activation& a) {
    const std::uint32_t heads = 4;
    const ScoreShape shape{3, heads, 6};
    const std::vector<Mask> masks = {{1, 0, 1, 1}, {0, 1, 0, 0}, {0, 0, 1, 1}, {0, 0, 0, 0}, {1, 1, 1, 1}};
    double worst = 0.0;
    for (const Mask& mask : masks) {
      const Buffer scores = random_buffer(shape.size(), 2.0);
      const Buffer grad_weights = random_buffer(shape.size(), 1.0);
      const Buffer weights = forward(a, shape, scores, mask);
      const Gradients g = backward(a, shape, scores, weights, grad_weights, mask);

      std::vector<std::uint32_t> active;
      for (std::uint32_t h = 0; h < heads; ++h) {
        if (mask[h] != 0) active.push_back(h);
      }
      for (std::uint32_t b = 0; b < shape.batch; ++b) {
        for (std::uint32_t h = 0; h < heads; ++h) {
          if (mask[h] != 0) continue;
          for (std::uint32_t l = 0; l < shape.length; ++l) {
            const std::size_t i = (std::size_t{b} * heads + h) * shape.length + l;
            if (weights[i] != 0.0 || g.scores[i] != 0.0) {
              throw CheckFailure("masked head " + std::to_string(h) + " got weight " + sci(weights[i]) +
                                 " and score gradient " + sci(g.scores[i]) + " (both must be exactly 0)");
            }
          }
        }
      }
      if (active.empty()) continue;

      const ScoreShape reduced{shape.batch, static_cast<std::uint32_t>(active.size()), shape.length};
      const auto reduce = [&](const Buffer& full) {
        Buffer out;
        for (std::uint32_t b = 0; b < shape.batch; ++b) {
          for (const std::uint32_t h : active) {
            const auto begin = full.begin() + static_cast<std::ptrdiff_t>((std::size_t{b} * heads + h) * shape.length);
            out.insert(out.end(), begin, begin + shape.length);
          }
        }
        return out;
      };
      const Buffer reduced_scores = reduce(scores);
      const Buffer reduced_weights = forward(a, reduced, reduced_scores);
      const Gradients reduced_g = backward(a, reduced, reduced_scores, reduced_weights, reduce(grad_weights));
      const Buffer weights_kept = reduce(weights);
      const Buffer grads_kept = reduce(g.scores);
      for (std::size_t i = 0; i < reduced_weights.size(); ++i) {
        worst = std::max(worst, std::fabs(weights_kept[i] - reduced_weights[i]));
        worst = std::max(worst, std::fabs(grads_kept[i] - reduced_g.scores[i]));
      }
      for (std::size_t i = 0; i < g.parameters.size(); ++i) {
        worst = std::max(worst, std::fabs(g.parameters[i] - reduced_g.parameters[i]));
      }
    }
    const std::string detail =
        "masked heads exactly 0; max |masked - heads removed| over weights and gradients = " + sci(worst) + " (bound " +
        sci(options_.mask_tolerance) + ")";
    if (!(worst <= options_.mask_tolerance)) throw CheckFailure(detail);
    return detail;
  }

  // L(s) = <G, act(s)>; its gradient is what backward returns for G.
  static double probe_loss(Activation& a, ScoreShape shape, const Buffer& scores, const Buffer& grad_weights,
                           const Mask& mask) {
    const Buffer weights = forward(a, shape, scores, mask);
    double loss = 0.0;
    for (std::size_t i = 0; i < weights.size(); ++i) loss += grad_weights[i] * weights[i];
    return loss;
  }

  static double relative_error(const Buffer& analytic, const Buffer& numeric) {
    double diff = 0.0;
    double scale = 1e-3;  // floor: near-zero gradients are compared absolutely
    for (std::size_t i = 0; i < analytic.size(); ++i) {
      diff = std::max(diff, std::fabs(analytic[i] - numeric[i]));
      scale = std::max(scale, std::fabs(numeric[i]));
    }
    return diff / scale;
  }

  std::string gradient_detail(const char* what, double error) const {
    return std::string("max |") + what + " - central difference| / max|central difference| = " + sci(error) +
           " (step " + sci(options_.finite_difference_step) + ", bound " + sci(options_.gradient_tolerance) + ")";
  }

  std::string check_backward(Activation& a) {
    const ScoreShape shape{2, 3, 5};
    const double h = options_.finite_difference_step;
    double worst = 0.0;
    for (const Mask& mask : {Mask{}, Mask{1, 0, 1}}) {
      Buffer scores = random_buffer(shape.size(), 1.5);
      const Buffer grad_weights = random_buffer(shape.size(), 1.0);
      const Gradients g = backward(a, shape, scores, forward(a, shape, scores, mask), grad_weights, mask);
      Buffer numeric(shape.size());
      for (std::size_t i = 0; i < scores.size(); ++i) {
        const double saved = scores[i];
        scores[i] = saved + h;
        const double plus = probe_loss(a, shape, scores, grad_weights, mask);
        scores[i] = saved - h;
        const double minus = probe_loss(a, shape, scores, grad_weights, mask);
        scores[i] = saved;
        numeric[i] = (plus - minus) / (2.0 * h);
      }
      worst = std::max(worst, relative_error(g.scores, numeric));
    }
    const std::string detail = gradient_detail("score gradient", worst);
    if (!(worst <= options_.gradient_tolerance)) throw CheckFailure(detail);
    return detail;
  }

  std::string check_parameter_gradient(Activation& a) {
    const ScoreShape shape{3, 3, 5};
    const double h = options_.finite_difference_step;
    const Buffer scores = random_buffer(shape.size(), 1.5);
    const Buffer grad_weights = random_buffer(shape.size(), 1.0);
    const Gradients g = backward(a, shape, scores, forward(a, shape, scores), grad_weights);
    Buffer params = a.parameters();
    const Buffer original = params;
    Buffer numeric(params.size());
    for (std::size_t p = 0; p < params.size(); ++p) {
      params[p] = original[p] + h;
      a.set_parameters(params);
      const double plus = probe_loss(a, shape, scores, grad_weights, {});
      params[p] = original[p] - h;
      a.set_parameters(params);
      const double minus = probe_loss(a, shape, scores, grad_weights, {});
      params[p] = original[p];
      a.set_parameters(params);
      numeric[p] = (plus - minus) / (2.0 * h);
    }
    const double error = relative_error(g.parameters, numeric);
    const std::string detail = gradient_detail("parameter gradient", error);
    if (!(error <= options_.gradient_tolerance)) throw CheckFailure(detail);
    return detail;
  }

  std::string check_determinism(Activation& a) {
    const ScoreShape shape{4, 3, 8};
    const Buffer scores = random_buffer(shape.size(), 2.0);
    const Buffer grad_weights = random_buffer(shape.size(), 1.0);
    const Mask mask{1, 0, 1};
    Activation fresh(plugin_, options_.params);
    using check::same_bits;
    const Buffer first = forward(a, shape, scores, mask);
    if (!same_bits(first, forward(a, shape, scores, mask))) throw CheckFailure("forward differs between two calls");
    if (!same_bits(first, forward(fresh, shape, scores, mask))) {
      throw CheckFailure("forward differs between two instances");
    }
    const Gradients g1 = backward(a, shape, scores, first, grad_weights, mask);
    const Gradients g2 = backward(a, shape, scores, first, grad_weights, mask);
    const Gradients g3 = backward(fresh, shape, scores, first, grad_weights, mask);
    if (!same_bits(g1.scores, g2.scores) || !same_bits(g1.parameters, g2.parameters)) {
      throw CheckFailure("backward differs between two calls");
    }
    if (!same_bits(g1.scores, g3.scores) || !same_bits(g1.parameters, g3.parameters)) {
      throw CheckFailure("backward differs between two instances");
    }
    return "forward and backward bit-identical on repeat and on a fresh instance";
  }

  // Many calls on varied inputs, the learnable parameters moved a little
  // between calls as training would move them: finds the plugin that fails
  // only late (after N calls) or only for some inputs.
  std::string check_long_run(Activation& a) {
    const std::array<double, 5> scales = {0.01, 0.3, 1.0, 3.0, 30.0};
    Buffer parameters = a.parameters();
    for (std::uint32_t call = 0; call < options_.long_run_calls; ++call) {
      const ScoreShape shape{1 + static_cast<std::uint32_t>(rng_.uniform() * 4),
                             1 + static_cast<std::uint32_t>(rng_.uniform() * 4),
                             1 + static_cast<std::uint32_t>(rng_.uniform() * 12)};
      const double scale = scales[call % scales.size()];
      Mask mask;
      if (call % 2 == 1) {
        for (std::uint32_t h = 0; h < shape.heads; ++h) mask.push_back(rng_.uniform() < 0.7 ? 1 : 0);
      }
      const Buffer scores = random_buffer(shape.size(), scale);
      const std::string at =
          " at call " + std::to_string(call + 1) + " (" + shape_text(shape) + ", scores of scale " + sci(scale) + ")";
      Buffer weights;
      try {
        weights = forward(a, shape, scores, mask);
      } catch (const std::exception& e) {
        throw CheckFailure(e.what() + at);
      }
      Gradients g;
      try {
        g = backward(a, shape, scores, weights, random_buffer(shape.size(), 1.0), mask);
      } catch (const std::exception& e) {
        throw CheckFailure(e.what() + at);
      }
      require_finite(g.scores, shape, "score gradient" + at + ":");
      require_finite(g.parameters, shape, "parameter gradient" + at + ":");
      if (parameters.empty()) continue;
      // A small step against the gradient, bounded whatever its size.
      double largest = 0.0;
      for (const double x : g.parameters) largest = std::max(largest, std::fabs(x));
      const double rate = 1e-3 / std::max(1.0, largest);
      for (std::size_t p = 0; p < parameters.size(); ++p) parameters[p] -= rate * g.parameters[p];
      a.set_parameters(parameters);
    }
    return std::to_string(options_.long_run_calls) +
           " forward and backward calls on random shapes up to 4x4x12, scores of scale 1e-2 to 30, random head "
           "masks" +
           (parameters.empty() ? std::string() : ", learnable parameters moved between calls") +
           ": weights and gradients finite";
  }

  std::shared_ptr<const PluginLibrary> plugin_;
  ActivationCheckOptions options_;
  Rng rng_;
  std::size_t parameter_count_ = 0;
  std::optional<Activation> activation_;  // made in each check's child process
  bool wrote_out_of_bounds_ = false;
};

}  // namespace

std::vector<CheckResult> check_activation(const std::shared_ptr<const PluginLibrary>& plugin,
                                          const ActivationCheckOptions& options) {
  if (plugin->kind() != PluginKind::Activation) {
    throw UsageError(plugin->label() + " is " + with_article(plugin->kind()) + ", not an activation");
  }
  return ActivationChecker(plugin, options).run();
}

}  // namespace attnlab
