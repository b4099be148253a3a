// attnlab_throughput: training throughput of `attnlab compare`'s engine on one
// configuration, for the side-by-side benchmark against bench/torch_reference.py.
//
// Runs the real Comparison (data model plugin, learner, activation and
// optimizer plugins, lockstep pool) with the same data model, learner and
// SGD settings as the reference, and prints one JSON line. Evaluation is cut
// to a minimum (one log point on 16 test samples, no Bayes risk) so that the
// time is the training loop's.
#include <attnlab/framework/hosting/plugin_discovery.hpp>
#include <attnlab/framework/training/compare_config.hpp>
#include <attnlab/framework/training/comparison.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace {

struct Settings {
  std::vector<std::string> activations{"softmax"};
  std::uint32_t dimension = 200, length = 20, heads = 4, features = 2, batch = 1, threads = 1;
  std::uint64_t samples = 20000, seed = 1;
  double eta = 0.1, delta = 0.1;
};

// The reference's prior: mean 1 on the first feature, std 2 / (f + 1).
std::string config_toml(const Settings& s) {
  std::vector<double> mean(s.features, 0.0), stdev(s.features);
  mean[0] = 1.0;
  for (std::uint32_t f = 0; f < s.features; ++f) stdev[f] = 2.0 / (f + 1.0);
  std::vector<std::string> quoted;
  for (const auto& id : s.activations) quoted.push_back("\"" + id + "\"");
  return fmt::format(R"(seed = {}
activations = [{}]
[data]
plugin = "single-location"
D = {}
L = {}
delta = {}
prior = "gaussian"
mean = [{}]
std = [{}]
[model]
heads = {}
bias = true
init_scale = 0.1
[train]
optimizer = "sgd"
time = {}
batch = {}
threads = {}
[train.optimizer_params]
eta = {}
lr_scale = "per-dimension"
[eval]
test_size = 16
log_points = 1
bayes_samples = 0
)",
                     s.seed, fmt::join(quoted, ", "), s.dimension, s.length, s.delta, fmt::join(mean, ", "),
                     fmt::join(stdev, ", "), s.heads, static_cast<double>(s.samples) / s.dimension, s.batch, s.threads,
                     s.eta);
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  CLI::App app{"Training throughput of attnlab on one configuration (JSON line on stdout)"};
  app.add_option("--activation", s.activations, "activation ids, trained side by side")->delimiter(',');
  app.add_option("--D", s.dimension);
  app.add_option("--L", s.length);
  app.add_option("--H", s.heads);
  app.add_option("--F", s.features)->check(CLI::Range(1u, 1000u));
  app.add_option("--batch", s.batch);
  app.add_option("--samples", s.samples, "training samples");
  app.add_option("--threads", s.threads);
  app.add_option("--eta", s.eta, "per-sample step eta / D");
  app.add_option("--seed", s.seed);
  CLI11_PARSE(app, argc, argv);

  try {
    attnlab::PluginRegistry registry;
    attnlab::discover_plugins(registry, attnlab::default_discovery_options());
    const attnlab::CompareConfig config = attnlab::compose_compare_config(config_toml(s), "throughput", {});
    attnlab::Comparison comparison(config, registry);

    double train_mse = 0.0;
    const auto start = std::chrono::steady_clock::now();
    comparison.run([&](const attnlab::LogPoint& point) {
      if (point.step > 0) train_mse = point.models.front().train_mse;
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    for (const auto& status : comparison.statuses()) {
      if (status.stopped) throw std::runtime_error("a model stopped: " + status.reason);
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double samples = static_cast<double>(comparison.step()) * s.batch;
    std::printf(
        "{\"program\": \"attnlab\", \"activation\": \"%s\", \"D\": %u, \"L\": %u, \"H\": %u, \"F\": %u, "
        "\"batch\": %u, \"threads\": %u, \"samples\": %.0f, \"seconds\": %.6f, \"samples_per_second\": %.1f, "
        "\"train_mse\": %.6f, \"peak_rss_mb\": %.1f}\n",
        fmt::format("{}", fmt::join(s.activations, ",")).c_str(), s.dimension, s.length, s.heads, s.features, s.batch,
        s.threads, samples, seconds, samples / seconds, train_mse, usage.ru_maxrss / 1024.0);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "attnlab_throughput: %s\n", e.what());
    return 1;
  }
}
