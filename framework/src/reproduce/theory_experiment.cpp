// Validation of the high-dimensional limit against simulations: for each
// activation and prior, simulations at three dimensions (several seeds,
// each with its own initial overlaps) beside the limit started from the very
// overlaps each seed drew. The simulation is scored by the population risk
// of its own state (its Omega through the limit's risk sample), not by its
// finite test set, whose error is larger than the gaps measured.
#include "experiment_support.hpp"

#include <attnlab/framework/analysis/seed_statistics.hpp>
#include <attnlab/framework/common/elapsed.hpp>
#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/reports/figure.hpp>
#include <attnlab/framework/theory/field_sample.hpp>
#include <attnlab/framework/theory/limit_dynamics.hpp>
#include <attnlab/framework/theory/theory_run.hpp>
#include <attnlab/framework/training/comparison.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

namespace attnlab::reproduce {
namespace {

struct Prior {
  std::string name;
  std::string toml;  // [data] lines of the prior
  double time = 0.0;
  bool with_example = false;  // also the example activation
};

// What one run (prior, D, seed) gives for one activation, per log point.
struct Track {
  std::vector<double> times;
  std::vector<double> simulated;  // population risk of the simulation's state
  std::vector<double> limit;      // the limit's population risk
  std::vector<double> band;       // the limit's Monte Carlo band
  double risk_gap = 0.0;          // largest |simulated - limit|
  double overlap_gap = 0.0;       // largest gap in sorted m[., f] and sorted r
};

// Heads are interchangeable: compare each feature's overlaps sorted over
// heads (and the value overlaps likewise), not head by head.
double sorted_gap(const OrderParameters& a, const OrderParameters& b) {
  double gap = 0.0;
  const auto ma = a.teacher_overlaps();
  const auto mb = b.teacher_overlaps();
  const Eigen::Index heads = a.heads;
  for (Eigen::Index t = 0; t < ma.cols(); ++t) {
    // Key rows for the features, value rows for v*.
    const Eigen::Index first = t + 1 < ma.cols() ? 0 : heads;
    std::vector<double> x(heads), y(heads);
    for (Eigen::Index h = 0; h < heads; ++h) {
      x[h] = ma(first + h, t);
      y[h] = mb(first + h, t);
    }
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    for (Eigen::Index h = 0; h < heads; ++h) gap = std::max(gap, std::abs(x[h] - y[h]));
  }
  return gap;
}

OrderParameters state_of(const Evaluation& e, std::uint32_t heads) {
  OrderParameters state;
  state.heads = heads;
  state.teachers = static_cast<std::uint32_t>(e.student_overlaps.cols()) - 2 * heads;
  state.student = e.student_overlaps;
  state.biases = e.biases;
  state.activation_parameters = e.activation_parameters;
  return state;
}

// Least-squares slope of log(y) against log(x); the points need y > 0.
double log_log_slope(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<double> lx, ly;
  for (const double v : x) lx.push_back(std::log(v));
  for (const double v : y) ly.push_back(std::log(v));
  return fit_line(lx, ly).slope;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Log point by log point: the mean |simulated - limit| over seeds at each D
// (one CSV row per point and D), and a table line over the points where the
// gap at the smallest D stands above three times the limit's band.
std::string gap_by_time(const std::string& prior, const std::string& id, const std::vector<std::uint32_t>& dimensions,
                        std::map<std::pair<std::string, std::uint32_t>, std::vector<Track>>& tracks, std::string& csv) {
  const std::vector<Track>& smallest = tracks[{id, dimensions.front()}];
  const std::vector<Track>& largest = tracks[{id, dimensions.back()}];
  if (smallest.empty() || largest.empty()) return "";
  std::size_t points = largest.front().times.size();
  for (const std::uint32_t dimension : dimensions) {
    for (const Track& run : tracks[{id, dimension}]) points = std::min(points, run.simulated.size());
  }
  std::size_t resolved = 0;
  std::size_t shrinking = 0;
  std::vector<double> slopes;
  double first_time = -1.0;
  double last_time = -1.0;
  for (std::size_t i = 0; i < points; ++i) {
    std::vector<double> x, gap;
    for (const std::uint32_t dimension : dimensions) {
      double sum = 0.0;
      const std::vector<Track>& runs = tracks[{id, dimension}];
      for (const Track& run : runs) sum += std::abs(run.simulated[i] - run.limit[i]);
      x.push_back(dimension);
      gap.push_back(sum / static_cast<double>(runs.size()));
    }
    double band = 0.0;
    for (const Track& run : largest) band += run.band[i];
    band /= static_cast<double>(largest.size());
    const double time = largest.front().times[i];
    for (std::size_t k = 0; k < x.size(); ++k) {
      csv += fmt::format("{},{},{},{},{},{}\n", prior, id, time, dimensions[k], gap[k], band);
    }
    const bool positive = std::all_of(gap.begin(), gap.end(), [](double g) { return g > 0; });
    if (!positive || gap.front() <= 3 * band) continue;
    ++resolved;
    shrinking += gap.back() < gap.front() ? 1 : 0;
    slopes.push_back(log_log_slope(x, gap));
    if (first_time < 0) first_time = time;
    last_time = time;
  }
  if (resolved == 0) return fmt::format("| {} | {} | 0 | - | - | - |\n", prior, id);
  return fmt::format("| {} | {} | {} of {} | {} | {:.2f} | {:.3g} to {:.3g} |\n", prior, id, resolved, points,
                     shrinking, median(slopes), first_time, last_time);
}

// The optimizer of every run: a step eta per sample on keys and values, and
// eta / D on biases and activation parameters, which is what has a limit.
const char* const kLimitSteps = R"(
[train.optimizer_params]
eta = 0.1
lr_scale = "none"
bias_lr_scale = "per-dimension"
activation_lr_scale = "per-dimension"
)";

}  // namespace

ExperimentSection run_theory(const ExperimentContext& context) {
  // Its simulations train here, beside the limit, because it times the two
  // against each other: no cells to plan.
  if (context.planning()) return {};
  std::vector<std::string> builtins = {"softmax", "softmax1", "bayes-softmax"};
  std::string example;
  for (const std::string& id : available_activations(context.registry)) {
    if (std::find(builtins.begin(), builtins.end(), id) == builtins.end()) {
      // Any will do; sigmoid attention (elementwise, no normalization) is
      // the least like the built-ins and, with its written backward, cheap.
      if (example.empty() || id == "sigmoid") example = id;
    }
  }
  const std::vector<Prior> priors = {
      {"default", "prior = \"gaussian\"\nmean = [1.5, 0.0, 0.0]\nstd = [2.0, 1.4, 0.8]", context.pick(1000.0, 60.0),
       true},
      {"discrete", "prior = \"discrete\"\nsupport = [[2.5, 0.0], [-2.5, 0.0], [0.0, 2.5]]", context.pick(300.0, 60.0),
       false}};
  const std::vector<std::uint32_t> dimensions =
      context.pick(std::vector<std::uint32_t>{250, 1000, 2000}, std::vector<std::uint32_t>{40, 100, 320});
  const auto seeds = context.seeds(5, 2);

  std::string csv = "prior,activation,D,seed,t,simulated_risk,limit_risk,limit_band\n";
  std::string gaps_csv = "prior,activation,D,seed,risk_gap,overlap_gap\n";
  std::string table = "| prior | activation | D | largest risk gap | largest overlap gap |\n|---|---|---:|---:|---:|\n";
  std::string exponents;
  std::string by_time_csv = "prior,activation,t,D,mean_abs_gap,limit_band\n";
  std::string by_time_lines;
  std::string target_lines;
  std::string timing;
  std::string figures;
  for (const Prior& prior : priors) {
    std::vector<std::string> activations = builtins;
    if (prior.with_example && !example.empty()) activations.push_back(example);
    std::string activation_list;
    for (const auto& id : activations) activation_list += (activation_list.empty() ? "\"" : ", \"") + id + "\"";
    const std::string toml = fmt::format(
        "activations = [{}]\n[data]\nplugin = \"single-location\"\nL = 8\ndelta = 0.1\n{}\n[model]\nheads = 4\n"
        "bias = true\ninit_scale = 0.1\n[train]\noptimizer = \"sgd\"\ntime = {}\nbatch = 16\n{}\n[eval]\n"
        "test_size = 256\nlog_points = {}\nbayes_samples = {}\n[theory]\nsamples = {}\ndraws = 2\n",
        activation_list, prior.toml, prior.time, kLimitSteps, context.pick(20, 8), context.pick(100000, 20000),
        context.pick(4096, 1024));
    context.write("config_" + prior.name + ".toml", toml);

    // (activation, D) -> one track per seed
    std::map<std::pair<std::string, std::uint32_t>, std::vector<Track>> tracks;
    for (const std::uint32_t dimension : dimensions) {
      for (const std::uint64_t seed : seeds) {
        const CompareConfig config = context.config(toml, {fmt::format("data.D={}", dimension)}, seed);
        const auto sim_start = std::chrono::steady_clock::now();
        Comparison comparison(config, context.registry);
        std::vector<std::vector<OrderParameters>> simulated(activations.size());
        std::vector<double> times;
        comparison.run([&](const LogPoint& point) {
          times.push_back(point.time);
          for (std::size_t m = 0; m < point.models.size(); ++m) {
            if (point.models[m].evaluation) {
              simulated[m].push_back(state_of(*point.models[m].evaluation, config.heads));
            }
          }
        });
        const double sim_seconds = seconds_since(sim_start);

        const auto theory_start = std::chrono::steady_clock::now();
        TheoryRun limit(config, context.registry);
        std::vector<LogPoint> points;
        limit.run([&](const LogPoint& point) { points.push_back(point); });
        const double theory_seconds = seconds_since(theory_start);
        if (dimension == dimensions.back() && seed == seeds.front()) {
          timing += fmt::format("| {} | {} | {:.1f} | {:.1f} | {:.1f} |\n", prior.name, dimension, sim_seconds,
                                theory_seconds, sim_seconds / theory_seconds);
        }

        // The simulation's states scored on the limit's own risk sample.
        DataModel data(context.registry.get(config.data_plugin, PluginKind::DataModel), config.data_params);
        const FieldSample risk_sample = draw_field_sample(data, stream_seed(config.seed, StreamPurpose::LimitRisk),
                                                          config.theory.risk_samples, config.heads);
        for (std::size_t m = 0; m < activations.size(); ++m) {
          Activation activation(context.registry.get(activations[m], PluginKind::Activation));
          LimitDynamics scorer(activation, limit.steps(m), config.trainable_bias);
          Track track;
          const std::size_t count = std::min({simulated[m].size(), points.size(), times.size()});
          for (std::size_t i = 0; i < count; ++i) {
            const ModelLog& log = points[i].models[m];
            if (!log.evaluation) break;
            track.times.push_back(times[i]);
            track.simulated.push_back(scorer.measure(simulated[m][i], risk_sample).risk);
            track.limit.push_back(log.evaluation->test_mse);
            track.band.push_back(log.test_mse_band.value_or(0.0));
            track.risk_gap = std::max(track.risk_gap, std::abs(track.simulated.back() - track.limit.back()));
            track.overlap_gap =
                std::max(track.overlap_gap, sorted_gap(simulated[m][i], state_of(*log.evaluation, config.heads)));
            csv += fmt::format("{},{},{},{},{},{},{},{}\n", prior.name, activations[m], dimension, seed, times[i],
                               track.simulated.back(), track.limit.back(), track.band.back());
          }
          gaps_csv += fmt::format("{},{},{},{},{},{}\n", prior.name, activations[m], dimension, seed, track.risk_gap,
                                  track.overlap_gap);
          tracks[{activations[m], dimension}].push_back(std::move(track));
        }
        context.progress(fmt::format("theory {} D {} seed {}: simulation {:.0f} s, limit {:.0f} s", prior.name,
                                     dimension, seed, sim_seconds, theory_seconds));
      }
    }

    for (const std::string& id : activations) {
      std::vector<double> gap_dimensions, mean_gaps;
      Figure figure = make_figure(fmt::format("{} ({} prior): simulations and the D -> infinity limit", id, prior.name),
                                  "t = samples / D", "population risk", true);
      for (std::size_t k = 0; k < dimensions.size(); ++k) {
        const std::uint32_t dimension = dimensions[k];
        const std::vector<Track>& runs = tracks[{id, dimension}];
        std::vector<double> risk_gaps, overlap_gaps;
        for (const Track& run : runs) {
          risk_gaps.push_back(run.risk_gap);
          overlap_gaps.push_back(run.overlap_gap);
        }
        const MeanAndError risk_gap = mean_and_error(risk_gaps);
        const MeanAndError overlap_gap = mean_and_error(overlap_gaps);
        table += fmt::format("| {} | {} | {} | {} | {} |\n", prior.name, id, dimension, with_error(risk_gap),
                             with_error(overlap_gap));
        if (risk_gap.mean > 0) {
          gap_dimensions.push_back(dimension);
          mean_gaps.push_back(risk_gap.mean);
        }
        // Mean over seeds of the simulations at this D, point by point.
        FigureSeries series = make_series(fmt::format("simulation D = {}", dimension), FigureSeries::Style::Lines);
        series.colour = static_cast<int>(k);
        const std::size_t points = runs.empty() ? 0 : runs.front().times.size();
        for (std::size_t i = 0; i < points; ++i) {
          std::vector<double> values;
          for (const Track& run : runs) {
            if (i < run.simulated.size()) values.push_back(run.simulated[i]);
          }
          series.x.push_back(runs.front().times[i]);
          series.y.push_back(mean_and_error(values).mean);
        }
        figure.series.push_back(std::move(series));
        // The limit from the largest D's initial overlaps, with its band.
        if (k + 1 == dimensions.size() && !runs.empty()) {
          FigureSeries limit = make_series("D -> infinity limit (band: Monte Carlo)", FigureSeries::Style::Dashed);
          limit.colour = static_cast<int>(dimensions.size());
          for (std::size_t i = 0; i < points; ++i) {
            std::vector<double> values, bands;
            for (const Track& run : runs) {
              if (i < run.limit.size()) {
                values.push_back(run.limit[i]);
                bands.push_back(run.band[i]);
              }
            }
            limit.x.push_back(runs.front().times[i]);
            limit.y.push_back(mean_and_error(values).mean);
            limit.error.push_back(mean_and_error(bands).mean);
          }
          // The target: at the largest D every log point's seed-mean risk
          // within 0.01 of the limit's, or within 3 standard errors.
          std::size_t met = 0;
          double worst = 0.0;
          for (std::size_t i = 0; i < points; ++i) {
            std::vector<double> differences;
            for (const Track& run : runs) {
              if (i < run.simulated.size()) differences.push_back(run.simulated[i] - run.limit[i]);
            }
            const MeanAndError difference = mean_and_error(differences);
            worst = std::max(worst, std::abs(difference.mean));
            const bool close = std::abs(difference.mean) <= 0.01 ||
                               (difference.count > 1 && std::abs(difference.mean) <= 3 * difference.standard_error);
            met += close ? 1 : 0;
          }
          target_lines +=
              fmt::format("| {} | {} | {} | {} of {} | {:.4f} |\n", prior.name, id, dimension, met, points, worst);
          figure.series.push_back(std::move(limit));
        }
      }
      if (gap_dimensions.size() >= 2)
        exponents += fmt::format("| {} | {} | {:.2f} |\n", prior.name, id, log_log_slope(gap_dimensions, mean_gaps));
      by_time_lines += gap_by_time(prior.name, id, dimensions, tracks, by_time_csv);
      const std::string stem = fmt::format("theory_{}_{}", prior.name, id);
      render_figure(figure, context.folder / stem);
      figures += fmt::format("![{} ({})]({}/{}.png)\n", id, prior.name, context.folder.filename().string(), stem);
    }
  }
  context.write("theory_risks.csv", csv);
  context.write("theory_gaps.csv", gaps_csv);
  context.write("theory_gap_by_time.csv", by_time_csv);

  std::string markdown = fmt::format(
      "Simulations at D = {} ({} seeds each, each seed with its own initial overlaps) against the D -> infinity "
      "limit started from the same overlaps. The simulation is scored by the population risk of its own state "
      "(its Omega through the limit's risk sample). Biases and activation parameters take the step eta / D, "
      "keys and values eta per sample.{}\n\n"
      "Largest gap over log points, mean over seeds (± standard error); the overlap gap compares each feature's "
      "key overlaps, and the value overlaps, sorted over heads:\n\n{}\n"
      "Fitted exponent of the risk gap against D (gap ~ D^slope; -0.5 is the 1/sqrt(D) of finite-size noise):\n\n"
      "| prior | activation | slope |\n|---|---|---:|\n{}\n"
      "The largest gap is set by two things that need not shrink with D: the limit's own Monte Carlo error (its "
      "band, the same at every D) and the time of each escape from the symmetric plateau. A simulation's SGD "
      "noise and its initial asymmetry are both of order 1/sqrt(D), so the noise moves an escape by an amount "
      "that does not vanish with D, while the limit starts from the initial asymmetry alone. Log point by log "
      "point, where the gap at the smallest D is above three times the band (a finite-size gap the limit's own "
      "error does not hide), the mean gap over seeds against D:\n\n"
      "| prior | activation | such log points | of them, gap at the largest D below the smallest's | median slope | "
      "range of t |\n|---|---|---:|---:|---:|---|\n{}\n"
      "Target at the largest D: log points where the seed mean of the simulation is within 0.01 of the limit or "
      "within 3 standard errors of it, and the largest difference of the means:\n\n"
      "| prior | activation | D | log points met | largest difference |\n|---|---|---:|---:|---:|\n{}\n"
      "Wall time at the largest D, first seed (simulation and limit on the same threads):\n\n"
      "| prior | D | simulation (s) | limit (s) | ratio |\n|---|---:|---:|---:|---:|\n{}\n{}",
      fmt::join(dimensions, ", "), seeds.size(),
      example.empty() ? " No example activation was on the plugin path (run it through scripts/reproduce.sh)."
                      : fmt::format(" The example activation '{}' (examples/) shows the engine is generic.", example),
      table, exponents, by_time_lines, target_lines, timing, figures);
  return {"The D -> infinity limit against simulations", markdown};
}

}  // namespace attnlab::reproduce
