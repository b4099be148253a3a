// Plateau, then specialization one feature at a time in decreasing order of
// variance: overlap trajectories m[h,f](t), r[h](t), and the detected events.
#include "experiment_support.hpp"
#include "plateau_study.hpp"

#include <attnlab/framework/analysis/specialization.hpp>
#include <attnlab/framework/reports/figure.hpp>
#include <attnlab/framework/reports/report.hpp>
#include <attnlab/framework/results/overlap_figures.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace attnlab::reproduce {
namespace {

// Three features of decreasing variance and a fourth, variance-free
// direction carrying the prior mean: the pattern every head first agrees on.
const std::vector<double> kMean = {0.0, 0.0, 0.0, 1.5};
const std::vector<double> kStd = {3.0, 2.0, 1.2, 0.0};
const std::vector<std::uint32_t> kWatched = {0, 1, 2};  // in decreasing variance

ExperimentSetting setting(bool quick) {
  ExperimentSetting setting;
  setting.prior = "prior = \"gaussian\"\nmean = " + toml_array(kMean) + "\nstd = " + toml_array(kStd);
  setting.heads = 4;
  setting.time = quick ? 3000.0 : 40000.0;
  setting.test_size = quick ? 1024 : 2048;
  setting.log_points = quick ? 24 : 40;
  setting.bayes_samples = quick ? 20000 : 100000;
  return setting;
}

std::string feature_name(std::uint32_t f) {
  return fmt::format("f{} (std {})", f + 1, kStd[f]);
}

// The columns of the overlap matrices: the features, then the mean direction.
std::vector<std::string> overlap_columns() {
  std::vector<std::string> names;
  for (std::uint32_t f = 0; f + 1 < kMean.size(); ++f) names.push_back(feature_name(f));
  names.emplace_back("mean direction");
  return names;
}

Figure value_and_error_figure(const ExperimentRun& run, std::uint64_t seed) {
  Figure figure;
  figure.title = fmt::format("test error and value overlaps r[h] (seed {})", seed);
  figure.x_label = "t = samples / D";
  figure.y_label = "test MSE / r[h]";
  figure.log_x = true;
  for (const ModelTrace& trace : run.models) {
    FigureSeries error = make_series(trace.activation + " test MSE", FigureSeries::Style::Lines);
    for (std::size_t i = 0; i < trace.overlaps.times.size(); ++i) {
      error.x.push_back(trace.overlaps.times[i]);
      error.y.push_back(trace.test_mse[i]);
    }
    figure.series.push_back(std::move(error));
  }
  const ModelTrace& softmax = run.models.front();
  for (Eigen::Index h = 0; h < softmax.value_overlaps.front().size(); ++h) {
    FigureSeries r = make_series(fmt::format("{} r[{}]", softmax.activation, h + 1), FigureSeries::Style::Dashed);
    for (std::size_t i = 0; i < softmax.overlaps.times.size(); ++i) {
      r.x.push_back(softmax.overlaps.times[i]);
      r.y.push_back(softmax.value_overlaps[i](h));
    }
    figure.series.push_back(std::move(r));
  }
  if (run.bayes_risk) figure.horizontal_lines.push_back({"Bayes risk", run.bayes_risk->mean});
  return figure;
}

}  // namespace

ExperimentSection run_specialization(const ExperimentContext& context) {
  const std::string toml = experiment_toml(setting(context.options.quick));
  context.write("config.toml", toml);
  const SpecializationCriteria criteria{.threshold = 0.3, .features = kWatched, .mean_direction = kMean};

  std::string events_csv = "seed,activation,feature,head,time,overlap\n";
  std::string plateau_times_csv = "seed,activation,plateau_start,first_event\n";
  std::string overlaps_csv = "seed,activation,t,head,feature,m\n";
  // activation -> per feature event times (NaN when not learned), per seed
  std::map<std::string, std::vector<std::vector<double>>> event_times;
  std::map<std::string, std::vector<double>> plateau_starts;
  std::map<std::string, int> first_is_strongest, ordered, with_events;
  std::vector<std::string> order;
  std::string figures_markdown;
  const auto seeds = context.seeds(5, 3);
  for (const std::uint64_t seed : seeds) {
    const auto cell = context.run(context.config(toml, {}, seed), fmt::format("seed {}", seed));
    if (!cell) continue;
    const ExperimentRun& run = *cell;
    for (const ModelTrace& trace : run.models) {
      if (std::find(order.begin(), order.end(), trace.activation) == order.end()) order.push_back(trace.activation);
      const SpecializationAnalysis analysis = analyze_specialization(trace.overlaps, criteria);
      std::vector<double> times(kWatched.size(), std::nan(""));
      for (const SpecializationEvent& event : analysis.events) {
        times[event.feature] = event.time;
        events_csv += fmt::format("{},{},{},{},{:.6g},{:.6g}\n", seed, trace.activation, event.feature + 1,
                                  event.head + 1, event.time, event.overlap);
      }
      event_times[trace.activation].push_back(times);
      plateau_starts[trace.activation].push_back(analysis.plateau_start.value_or(std::nan("")));
      plateau_times_csv += fmt::format("{},{},{},{}\n", seed, trace.activation,
                                       analysis.plateau_start ? fmt::format("{:.6g}", *analysis.plateau_start) : "",
                                       analysis.events.empty() ? "" : fmt::format("{:.6g}", analysis.events[0].time));
      if (!analysis.events.empty()) {
        ++with_events[trace.activation];
        if (analysis.events.front().feature == kWatched.front()) ++first_is_strongest[trace.activation];
        bool in_order = true;
        for (std::size_t i = 1; i < analysis.events.size(); ++i) {
          in_order = in_order && analysis.events[i].feature > analysis.events[i - 1].feature;
        }
        if (in_order) ++ordered[trace.activation];
      }
      for (std::size_t i = 0; i < trace.overlaps.times.size(); ++i) {
        const RowMatrix& m = trace.overlaps.key_overlaps[i];
        for (Eigen::Index h = 0; h < m.rows(); ++h) {
          for (Eigen::Index f = 0; f < m.cols(); ++f) {
            overlaps_csv += fmt::format("{},{},{:.6g},{},{},{:.6g}\n", seed, trace.activation, trace.overlaps.times[i],
                                        h + 1, f + 1, m(h, f));
          }
        }
      }
      if (seed == seeds.front()) {
        const std::string model = fmt::format("{}, seed {}", trace.activation, seed);
        render_figure_grid(overlap_panels(model + ": key overlaps m[h,f]", trace.overlaps, overlap_columns()),
                           context.folder / ("overlaps_" + trace.activation));
        render_heat_map(final_overlap_map(model + ": final key overlaps", trace.overlaps, overlap_columns()),
                        context.folder / ("final_overlaps_" + trace.activation));
        figures_markdown += fmt::format(
            "![{0} key overlaps, seed {1}](specialization/overlaps_{0}.png)\n\n"
            "![{0} final key overlaps, seed {1}](specialization/final_overlaps_{0}.png)\n\n",
            trace.activation, seed);
      }
    }
    if (seed == seeds.front()) {
      render_figure(value_and_error_figure(run, seed), context.folder / "test_error_and_values");
      figures_markdown += "![test error and value overlaps](specialization/test_error_and_values.png)\n\n";
    }
  }
  // The plateau study's runs are planned with this experiment's.
  const std::string plateau = plateau_study(context, setting(context.options.quick), criteria);
  if (context.planning()) return {};
  context.write("events.csv", events_csv);
  context.write("plateau_times.csv", plateau_times_csv);
  context.write("overlaps.csv", overlaps_csv);

  std::vector<std::string> header = {"activation", "plateau from t"};
  for (const std::uint32_t f : kWatched) header.push_back("t learned, " + feature_name(f));
  header.insert(header.end(), {"first event on f1", "events in variance order"});
  std::vector<std::vector<std::string>> rows;
  for (const std::string& activation : order) {
    const MeanAndError plateau = mean_and_error(plateau_starts[activation]);
    std::vector<std::string> row = {activation,
                                    fmt::format("{} ({}/{} seeds)", with_error(plateau), plateau.count, seeds.size())};
    for (const std::uint32_t f : kWatched) {
      std::vector<double> times;
      for (const auto& per_seed : event_times[activation]) times.push_back(per_seed[f]);
      const MeanAndError stats = mean_and_error(times);
      row.push_back(fmt::format("{} ({}/{} seeds)", with_error(stats), stats.count, seeds.size()));
    }
    row.push_back(seed_fraction(first_is_strongest[activation], seeds.size()));
    row.push_back(seed_fraction(ordered[activation], seeds.size()));
    rows.push_back(std::move(row));
  }
  const std::string table = markdown_table(header, rows);

  // Paired: every activation saw the same data from the same start, so its
  // event times differ from the first activation's seed by seed.
  std::vector<std::string> paired_header = {"activation − " + order.front(), "plateau from t"};
  for (const std::uint32_t f : kWatched) paired_header.push_back("t learned, " + feature_name(f));
  std::vector<std::vector<std::string>> paired_rows;
  for (std::size_t a = 1; a < order.size(); ++a) {
    const std::string& activation = order[a];
    std::vector<std::string> row = {
        activation, signed_with_error(paired_difference(plateau_starts[activation], plateau_starts[order.front()]))};
    for (const std::uint32_t f : kWatched) {
      std::vector<double> mine, reference;
      for (const auto& per_seed : event_times[activation]) mine.push_back(per_seed[f]);
      for (const auto& per_seed : event_times[order.front()]) reference.push_back(per_seed[f]);
      const MeanAndError difference = paired_difference(mine, reference);
      row.push_back(fmt::format("{} ({} seeds)", signed_with_error(difference), difference.count));
    }
    paired_rows.push_back(std::move(row));
  }
  const std::string paired_table = markdown_table(paired_header, paired_rows);
  context.write("table.md", table + "\n" + paired_table);

  ExperimentSection section;
  section.title = "Specialization dynamics";
  section.markdown = fmt::format(
      "Single-location data, D = 50, L = 8, Gaussian prior with features of std {} and the mean {} along a fourth "
      "direction; H = 4 heads, online SGD (batch 16, eta = 0.1 per sample), t = {}; {} seeds. A feature counts as "
      "learned when some head's |m[h,f]| reaches {} (interpolated between log points; still above at the next "
      "one); the plateau starts when the heads' mean overlap with the mean direction reaches the same value.\n\n{}\n"
      "Times are means ± standard errors over the seeds that learned the feature; fractions of seeds with their "
      "95 % Wilson interval. Paired differences of the times against {} (the same data and start, seed by seed; "
      "over the seeds where both learned the feature):\n\n{}\n{}\n{}",
      toml_array(kStd), toml_array(kMean), context.pick(40000, 3000), seeds.size(), criteria.threshold, table,
      order.front(), paired_table, figures_markdown, plateau);
  return section;
}

}  // namespace attnlab::reproduce
