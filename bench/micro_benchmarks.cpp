// Micro-benchmarks of the pieces of a training step (Google Benchmark).
//
// Rates are reported per item: normals, samples or FLOPs per second. The
// learner's FLOP count is that of its two matrix products (forward
// projections and the key/value gradient), 8 B L D H in all; the activation
// and the bookkeeping around the products are not counted, so the fraction of
// the ceiling it reports is a lower bound on how well the products run.
#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/hosting/activation.hpp>
#include <attnlab/framework/hosting/data_model.hpp>
#include <attnlab/framework/hosting/optimizer.hpp>
#include <attnlab/framework/hosting/plugin_discovery.hpp>
#include <attnlab/framework/training/learner.hpp>

#include "training/ordered_product.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <random>
#include <string>
#include <vector>

namespace {

using attnlab::PluginKind;

// Built-in plugins, loaded once (the registry keeps the libraries open).
const attnlab::PluginRegistry& registry() {
  static const attnlab::PluginRegistry loaded = [] {
    attnlab::PluginRegistry r;
    attnlab::DiscoveryOptions options = attnlab::default_discovery_options();
    options.search_path.clear();
    attnlab::discover_plugins(r, options);
    return r;
  }();
  return loaded;
}

constexpr std::size_t kNormals = 4096;

void normal_attnlab(benchmark::State& state) {
  attnlab::Rng rng(1);
  std::vector<double> out(kNormals);
  for (auto _ : state) {
    rng.fill_normal(out.data(), out.size());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kNormals));
}
BENCHMARK(normal_attnlab);

void normal_std(benchmark::State& state) {
  std::mt19937_64 engine(1);
  std::normal_distribution<double> normal;
  std::vector<double> out(kNormals);
  for (auto _ : state) {
    for (double& x : out) x = normal(engine);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kNormals));
}
BENCHMARK(normal_std);

std::string data_params(std::int64_t dimension, std::int64_t length) {
  return fmt::format("D = {}\nL = {}\ndelta = 0.1\nprior = gaussian\nmean = [1, 0]\nstd = [2, 1]\n", dimension, length);
}

// Args: D, L, batch. Items: samples.
void data_sample(benchmark::State& state) {
  const auto dimension = state.range(0), length = state.range(1);
  const auto batch = static_cast<std::uint32_t>(state.range(2));
  attnlab::DataModel data(registry().get("single-location", PluginKind::DataModel), data_params(dimension, length));
  attnlab::Rng rng(1);
  std::vector<double> tokens(static_cast<std::size_t>(batch * length * dimension)), labels(batch);
  for (auto _ : state) {
    data.sample(rng, batch, tokens, labels);
    benchmark::DoNotOptimize(tokens.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}
BENCHMARK(data_sample)->Args({200, 20, 1})->Args({200, 20, 64})->Args({1000, 32, 64});

// Args: batch, H, L. Items: samples.
void activation_pass(benchmark::State& state, const char* id, bool backward) {
  const attnlab::ScoreShape shape{static_cast<std::uint32_t>(state.range(0)),
                                  static_cast<std::uint32_t>(state.range(1)),
                                  static_cast<std::uint32_t>(state.range(2))};
  attnlab::Activation activation(registry().get(id, PluginKind::Activation));
  attnlab::Rng rng(2);
  std::vector<double> scores(shape.size()), weights(shape.size()), grad_weights(shape.size()),
      grad_scores(shape.size()), grad_parameters(activation.parameter_count());
  rng.fill_normal(scores.data(), scores.size());
  rng.fill_normal(grad_weights.data(), grad_weights.size());
  activation.forward(shape, scores, {}, weights);
  for (auto _ : state) {
    if (backward) {
      activation.backward(shape, scores, weights, {}, grad_weights, grad_scores, grad_parameters);
      benchmark::DoNotOptimize(grad_scores.data());
    } else {
      activation.forward(shape, scores, {}, weights);
      benchmark::DoNotOptimize(weights.data());
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * shape.batch));
}
BENCHMARK_CAPTURE(activation_pass, softmax_forward, "softmax", false)->Args({64, 4, 20});
BENCHMARK_CAPTURE(activation_pass, softmax_backward, "softmax", true)->Args({64, 4, 20});
BENCHMARK_CAPTURE(activation_pass, softmax1_forward, "softmax1", false)->Args({64, 4, 20});
BENCHMARK_CAPTURE(activation_pass, softmax1_backward, "softmax1", true)->Args({64, 4, 20});
BENCHMARK_CAPTURE(activation_pass, bayes_softmax_forward, "bayes-softmax", false)->Args({64, 4, 20});
BENCHMARK_CAPTURE(activation_pass, bayes_softmax_backward, "bayes-softmax", true)->Args({64, 4, 20});

// Args: batch, D, L, H. Forward and backward of the whole learner with softmax.
// Counters: samples/s and the products' FLOP/s.
void learner_forward_backward(benchmark::State& state) {
  const auto batch = static_cast<std::uint32_t>(state.range(0));
  const attnlab::LearnerShape shape{static_cast<std::uint32_t>(state.range(3)),
                                    static_cast<std::uint32_t>(state.range(1)),
                                    static_cast<std::uint32_t>(state.range(2)), true};
  attnlab::Learner learner(shape, attnlab::Activation(registry().get("softmax", PluginKind::Activation)), batch);
  attnlab::Rng rng(3);
  rng.fill_normal(learner.keys_and_values().data(), static_cast<std::size_t>(learner.keys_and_values().size()));
  learner.keys_and_values() *= 0.1;
  std::vector<double> tokens(std::size_t{batch} * shape.length * shape.dimension), labels(batch);
  rng.fill_normal(tokens.data(), tokens.size());
  rng.fill_normal(labels.data(), labels.size());
  for (auto _ : state) benchmark::DoNotOptimize(learner.train_batch(tokens, labels, batch));
  const double flops_per_step = 8.0 * batch * shape.length * shape.dimension * shape.heads;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  state.counters["flops"] =
      benchmark::Counter(flops_per_step * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(learner_forward_backward)
    ->Args({1, 200, 20, 4})
    ->Args({64, 200, 20, 4})
    ->Args({64, 512, 32, 8})
    ->Args({64, 1000, 32, 8})
    ->Args({256, 1000, 32, 8});

// Args: kernel (0 portable, 1 AVX2), batch, D, L, H. The learner's two
// products alone (forward X W^T, backward dP^T X), to compare the kernels.
void learner_products(benchmark::State& state) {
  namespace op = attnlab::ordered_product;
  const bool avx2 = state.range(0) == 1;
  if (avx2 && !op::avx2_available()) {
    state.SkipWithError("this CPU has no AVX2");
    return;
  }
  const auto batch = static_cast<std::size_t>(state.range(1));
  const auto dimension = static_cast<std::size_t>(state.range(2));
  const auto rows = batch * static_cast<std::size_t>(state.range(3));
  const auto outputs = 2 * static_cast<std::size_t>(state.range(4));
  std::vector<double> tokens(rows * dimension), weights_t(dimension * outputs), projections(rows * outputs),
      grad(outputs * dimension);
  attnlab::Rng rng(5);
  rng.fill_normal(tokens.data(), tokens.size());
  rng.fill_normal(weights_t.data(), weights_t.size());
  const op::Operands forward{tokens.data(),      dimension, 1,    weights_t.data(), outputs,
                             projections.data(), outputs,   rows, dimension,        outputs};
  const op::Operands backward{projections.data(), 1,         outputs, tokens.data(), dimension,
                              grad.data(),        dimension, outputs, rows,          dimension};
  const auto multiply = avx2 ? &op::multiply_avx2 : &op::multiply_portable;
  for (auto _ : state) {
    multiply(forward);
    multiply(backward);
    benchmark::DoNotOptimize(grad.data());
  }
  const double flops_per_step = 4.0 * static_cast<double>(rows * dimension * outputs);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  state.counters["flops"] =
      benchmark::Counter(flops_per_step * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(learner_products)
    ->ArgNames({"avx2", "B", "D", "L", "H"})
    ->Args({0, 1, 200, 20, 4})
    ->Args({1, 1, 200, 20, 4})
    ->Args({0, 64, 512, 32, 8})
    ->Args({1, 64, 512, 32, 8});

// Args: H, D. One SGD step on keys, values and biases. Items: parameters.
void optimizer_step(benchmark::State& state) {
  const auto heads = static_cast<std::uint32_t>(state.range(0));
  const auto dimension = static_cast<std::uint32_t>(state.range(1));
  std::vector<double> keys_values(2 * std::size_t{heads} * dimension, 0.5), biases(heads, 0.0);
  std::vector<double> grad_keys_values(keys_values.size(), 1e-3), grad_biases(heads, 1e-3);
  std::vector<attnlab_parameter_group> groups{
      {ATTNLAB_GROUP_KEYS, heads, dimension, keys_values.data(), grad_keys_values.data()},
      {ATTNLAB_GROUP_VALUES, heads, dimension, keys_values.data() + std::size_t{heads} * dimension,
       grad_keys_values.data() + std::size_t{heads} * dimension},
      {ATTNLAB_GROUP_BIASES, 1, heads, biases.data(), grad_biases.data()}};
  attnlab::Optimizer optimizer(registry().get("sgd", PluginKind::Optimizer), "eta = 0.1");
  optimizer.initialize(groups);
  const attnlab_step_info info{0, 1, dimension};
  for (auto _ : state) {
    optimizer.step(info, groups);
    benchmark::DoNotOptimize(keys_values.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * (keys_values.size() + heads)));
}
BENCHMARK(optimizer_step)->Args({4, 200})->Args({8, 1000});

// The machine's practical ceiling: a large square product in Eigen, FLOP/s.
void gemm_ceiling(benchmark::State& state) {
  const auto n = state.range(0);
  const Eigen::MatrixXd a = Eigen::MatrixXd::Random(n, n), b = Eigen::MatrixXd::Random(n, n);
  Eigen::MatrixXd c(n, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["flops"] = benchmark::Counter(
      2.0 * static_cast<double>(n * n * n) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(gemm_ceiling)->Arg(1024);

}  // namespace

BENCHMARK_MAIN();
