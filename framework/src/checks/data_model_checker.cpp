#include "checks/check_support.hpp"

#include <attnlab/framework/checks/data_model_checker.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/hosting/data_model.hpp>

#include <Eigen/Core>
#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <limits>
#include <optional>
#include <stdexcept>

namespace attnlab {
namespace {

using check::CheckFailure;
using check::GuardedBuffer;
using check::sci;
using Buffer = std::vector<double>;

// Largest per-sample (L x D) or teacher (F x D) size the checker takes on:
// beyond it even one sample would not fit the memory a check may use.
constexpr std::uint64_t kMaxDoubles = std::uint64_t{1} << 27;
// Token doubles per sampling call, so that large L x D lower the batch
// instead of raising the memory.
constexpr std::size_t kChunkDoubles = std::size_t{1} << 20;
constexpr std::size_t kRiskChunk = 4096;
constexpr std::uint32_t kDeterminismRiskSamples = 256;
constexpr std::uint32_t kDeterminismLimitSamples = 64;

std::string dims_text(const attnlab_data_dims& d) {
  return "D = " + std::to_string(d.dimension) + ", L = " + std::to_string(d.length) +
         ", F = " + std::to_string(d.features);
}

using RawInstance = check::RawInstance<attnlab_data_model_table>;

struct Batch {
  Buffer tokens, labels, prediction, risk;
  Buffer fields, label_means, noise_variances;  // limit_sample's, when offered
};

// Mean and standard error of the mean of `values` (at least 2).
struct MeanEstimate {
  double mean = 0.0;
  double standard_error = 0.0;
};

MeanEstimate estimate_mean(std::span<const double> values) {
  const auto n = static_cast<double>(values.size());
  double mean = 0.0;
  for (const double v : values) mean += v;
  mean /= n;
  double squares = 0.0;
  for (const double v : values) squares += (v - mean) * (v - mean);
  return {mean, std::sqrt(squares / (n - 1.0) / n)};
}

// Running means and sums of squared deviations (Welford) of several
// statistics over the same samples.
class Moments {
 public:
  explicit Moments(std::size_t statistics) : mean_(statistics, 0.0), squares_(statistics, 0.0), count_(statistics, 0) {}
  void add(std::size_t k, double x) {
    const double deviation = x - mean_[k];
    mean_[k] += deviation / static_cast<double>(++count_[k]);
    squares_[k] += deviation * (x - mean_[k]);
  }
  // Needs at least 2 values of statistic k.
  MeanEstimate estimate(std::size_t k) const {
    const auto n = static_cast<double>(count_[k]);
    return {mean_[k], std::sqrt(squares_[k] / (n - 1.0) / n)};
  }

 private:
  std::vector<double> mean_, squares_;
  std::vector<std::size_t> count_;
};

// (a - b) in standard errors; infinite when they differ with no spread at all.
double z_score(double difference, double standard_error) {
  if (standard_error > 0) return difference / standard_error;
  if (difference == 0) return 0.0;
  return difference > 0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
}

class DataModelChecker {
 public:
  DataModelChecker(std::shared_ptr<const PluginLibrary> plugin, const DataModelCheckOptions& options)
      : plugin_(std::move(plugin)), options_(options) {}

  std::vector<CheckResult> run() {
    check::CheckList checks(options_.check_timeout_seconds);
    // What "dimensions" and "shapes" find out, for the later checks.
    checks.carry(
        [this] {
          return std::to_string(dims_.dimension) + " " + std::to_string(dims_.length) + " " +
                 std::to_string(dims_.features) + " " + (wrote_out_of_bounds_ ? "1" : "0");
        },
        [this](const std::string& state) {
          unsigned long d = 0, l = 0, f = 0;
          int outside = 0;
          if (std::sscanf(state.c_str(), "%lu %lu %lu %d", &d, &l, &f, &outside) != 4) return;
          dims_ = {static_cast<std::uint32_t>(d), static_cast<std::uint32_t>(l), static_cast<std::uint32_t>(f)};
          wrote_out_of_bounds_ = wrote_out_of_bounds_ || outside == 1;
        });
    if (!checks.create([this] {
          const RawInstance raw(*plugin_, options_.params);
          return std::string();
        })) {
      return checks.take();
    }
    // Each check runs in a child process, which makes its own instance.
    checks.run("dimensions", [&] {
      RawInstance raw(*plugin_, options_.params);
      return check_dimensions(raw);
    });
    if (!checks.last_passed()) {
      checks.fail("remaining checks", "not run: without valid dimensions there is nothing to size buffers by");
      return checks.take();
    }
    checks.run("shapes", [&] {
      RawInstance raw(*plugin_, options_.params);
      return check_shapes(raw);
    });
    if (wrote_out_of_bounds_) {
      // The host wrapper hands the plugin unguarded buffers, which it would
      // corrupt; a plugin that merely fails or returns NaN is safe to go on.
      checks.fail("remaining checks", "not run: the plugin writes outside its buffers");
      return checks.take();
    }
    checks.run("finiteness", [&] { return check_finiteness(model()); });
    checks.run("determinism", [&] { return check_determinism(model()); });
    checks.run("teacher directions", [&] { return check_teacher(model()); });
    checks.run("token statistics", [&] { return check_token_statistics(model()); });
    if (has_bayes()) checks.run("bayes consistency", [&] { return check_bayes(model()); });
    if (has_limit()) checks.run("high-dimensional limit", [&] { return check_limit(model()); });
    checks.run("long run", [&] { return check_long_run(model()); });
    return checks.take();
  }

 private:
  bool has_bayes() const {
    const auto& table = plugin_->table<attnlab_data_model_table>();
    return (plugin_->capabilities() & ATTNLAB_CAP_BAYES_PREDICTION) != 0 && table.bayes_prediction != nullptr &&
           table.bayes_risk_samples != nullptr;
  }

  bool has_limit() const { return provides_limit(*plugin_); }

  // Doubles of limit_sample's teacher fields per sample: L x (F + 1).
  std::size_t field_doubles() const { return std::size_t{dims_.length} * (std::size_t{dims_.features} + 1); }

  // The host wrapper used from "finiteness" on; a construction failure
  // (e.g. non-finite teacher directions) fails each check that needs it.
  DataModel& model() {
    if (!model_) model_.emplace(plugin_, options_.params);
    return *model_;
  }

  std::size_t sample_doubles() const { return std::size_t{dims_.length} * dims_.dimension; }

  // `wanted` samples, fewer when L x D is large (at least 1).
  // Draws `samples` samples in batches of at most `chunk`; `body` gets each
  // batch's tokens ((batch*L) x D), labels, size and the samples before it.
  template <class Body>
  void sample_in_batches(DataModel& m, Rng& rng, std::size_t samples, std::uint32_t chunk, Body&& body) const {
    Buffer tokens;
    Buffer labels;
    for (std::size_t done = 0; done < samples;) {
      const auto batch = static_cast<std::uint32_t>(std::min<std::size_t>(chunk, samples - done));
      tokens.resize(batch * sample_doubles());
      labels.resize(batch);
      m.sample(rng, batch, tokens, labels);
      const Eigen::Map<const RowMatrix> x(tokens.data(), static_cast<Eigen::Index>(batch) * dims_.length,
                                          dims_.dimension);
      body(x, labels, batch, done);
      done += batch;
    }
  }

  std::uint32_t batch_for(std::size_t wanted) const {
    return static_cast<std::uint32_t>(std::clamp<std::size_t>(kChunkDoubles / sample_doubles(), 1, wanted));
  }

  std::string check_dimensions(RawInstance& raw) {
    attnlab_data_dims first{};
    attnlab_data_dims second{};
    raw.require_ok(raw.table().dims(raw.get(), &first, raw.error()), "dims");
    raw.require_ok(raw.table().dims(raw.get(), &second, raw.error()), "dims");
    const std::string text = dims_text(first);
    if (first.dimension != second.dimension || first.length != second.length || first.features != second.features) {
      throw CheckFailure("dims changed between two calls: " + text + ", then " + dims_text(second));
    }
    if (first.dimension < 1 || first.length < 1 || first.features < 1) {
      throw CheckFailure(text + ": each must be at least 1");
    }
    if (first.dimension < std::uint64_t{first.features} + 1) {
      throw CheckFailure(text + ": D must be at least F + 1 = " + std::to_string(std::uint64_t{first.features} + 1) +
                         " (F orthogonal keys and a value direction orthogonal to them)");
    }
    const std::uint64_t per_sample = std::uint64_t{first.length} * first.dimension;
    const std::uint64_t teacher = std::uint64_t{first.features} * first.dimension;
    if (per_sample > kMaxDoubles || teacher > kMaxDoubles) {
      throw CheckFailure(text + ": L x D = " + std::to_string(per_sample) + " and F x D = " + std::to_string(teacher) +
                         " doubles; the checker handles at most " + std::to_string(kMaxDoubles) + " each");
    }
    dims_ = first;
    return text + " (each at least 1, D >= F + 1)";
  }

  // Fails, remembering it, when anything outside `buffer` was written.
  void require_inside(const GuardedBuffer& buffer, const char* call, const std::string& name,
                      const std::string& context = "") {
    if (const std::string where = check::outside_writes(buffer, name); !where.empty()) {
      wrote_out_of_bounds_ = true;
      throw CheckFailure(std::string(call) + " wrote " + where + context);
    }
  }

  static void require_written(const GuardedBuffer& buffer, const char* call, const std::string& name) {
    if (const std::size_t n = buffer.unwritten(); n > 0) {
      const auto first = static_cast<std::size_t>(
          std::find_if(buffer.view().begin(), buffer.view().end(), check::is_poison) - buffer.view().begin());
      throw CheckFailure(std::string(call) + " left " + std::to_string(n) + " of " + std::to_string(buffer.size()) +
                         " " + name + " doubles unwritten (the first at index " + std::to_string(first) + ")");
    }
  }

  // Every output entry written and nothing outside, for batches of 1 and of
  // options.batch, the teacher and (when offered) the Bayes prediction.
  std::string check_shapes(RawInstance& raw) {
    const auto& table = raw.table();
    const std::uint32_t d = dims_.dimension;
    const std::uint32_t length = dims_.length;
    const std::uint32_t features = dims_.features;

    GuardedBuffer keys(std::size_t{features} * d);
    GuardedBuffer value(d);
    raw.require_ok(table.teacher(raw.get(), keys.data(), value.data(), raw.error()), "teacher");
    require_inside(keys, "teacher", "teacher keys", " (F x D)");
    require_inside(value, "teacher", "teacher value", " (D)");
    require_written(keys, "teacher", "teacher key");
    require_written(value, "teacher", "teacher value");

    const std::uint32_t large = batch_for(options_.batch);
    Rng rng(stream_seed(options_.seed, StreamPurpose::Checks, 0));
    for (const std::uint32_t batch : {std::uint32_t{1}, large}) {
      const std::string shape = std::to_string(batch) + "x" + std::to_string(length) + "x" + std::to_string(d);
      GuardedBuffer tokens(batch * sample_doubles());
      GuardedBuffer labels(batch);
      attnlab_random_stream stream = abi_stream(rng);
      raw.require_ok(table.sample(raw.get(), &stream, batch, tokens.data(), labels.data(), raw.error()), "sample");
      const std::string of_batch = " (batch of " + std::to_string(batch) + ")";
      require_inside(tokens, "sample", "tokens", " (" + shape + ")");
      require_inside(labels, "sample", "labels", of_batch);
      require_written(tokens, "sample", "token");
      require_written(labels, "sample", "label");
      if (!has_bayes()) continue;
      GuardedBuffer prediction(batch);
      raw.require_ok(table.bayes_prediction(raw.get(), batch, tokens.data(), prediction.data(), raw.error()),
                     "bayes_prediction");
      require_inside(prediction, "bayes_prediction", "prediction", of_batch);
      require_written(prediction, "bayes_prediction", "prediction");
      GuardedBuffer risk(batch);
      attnlab_random_stream risk_stream = abi_stream(rng);
      raw.require_ok(table.bayes_risk_samples(raw.get(), &risk_stream, batch, risk.data(), raw.error()),
                     "bayes_risk_samples");
      require_inside(risk, "bayes_risk_samples", "risk samples", of_batch);
      require_written(risk, "bayes_risk_samples", "risk sample");
    }
    if (has_limit()) {
      for (const std::uint32_t count : {std::uint32_t{1}, large}) {
        const std::string of_count = " (count of " + std::to_string(count) + ")";
        GuardedBuffer fields(count * field_doubles());
        GuardedBuffer means(count);
        GuardedBuffer variances(count);
        attnlab_random_stream stream = abi_stream(rng);
        raw.require_ok(
            table.limit_sample(raw.get(), &stream, count, fields.data(), means.data(), variances.data(), raw.error()),
            "limit_sample");
        require_inside(fields, "limit_sample", "teacher fields",
                       " (" + std::to_string(count) + "x" + std::to_string(length) + "x" +
                           std::to_string(features + std::uint64_t{1}) + ")");
        require_inside(means, "limit_sample", "label means", of_count);
        require_inside(variances, "limit_sample", "label noise variances", of_count);
        require_written(fields, "limit_sample", "teacher field");
        require_written(means, "limit_sample", "label mean");
        require_written(variances, "limit_sample", "label noise variance");
      }
    }
    return "teacher " + std::to_string(features) + "x" + std::to_string(d) + " + " + std::to_string(d) +
           ", batches of 1 and " + std::to_string(large) + " (tokens Bx" + std::to_string(length) + "x" +
           std::to_string(d) + ", labels B" + (has_bayes() ? ", Bayes predictions and risk samples B" : "") + ")" +
           (has_limit()
                ? ", limit samples of 1 and " + std::to_string(large) + " (teacher fields Bx" + std::to_string(length) +
                      "x" + std::to_string(features + std::uint64_t{1}) + ", label means and noise variances B)"
                : "") +
           ": every entry written, none outside";
  }

  Batch draw(DataModel& m, std::uint32_t batch, std::uint64_t run) const {
    Batch b{Buffer(batch * sample_doubles()), Buffer(batch), {}, {}, {}, {}, {}};
    Rng rng(stream_seed(options_.seed, StreamPurpose::Checks, run));
    m.sample(rng, batch, b.tokens, b.labels);
    if (has_bayes()) {
      b.prediction.resize(batch);
      m.bayes_prediction(batch, b.tokens, b.prediction);
      b.risk.resize(kDeterminismRiskSamples);
      Rng risk_rng(stream_seed(options_.seed, StreamPurpose::BayesRisk, run));
      m.bayes_risk_samples(risk_rng, b.risk);
    }
    if (has_limit()) {
      const std::uint32_t count = kDeterminismLimitSamples;
      b.fields.resize(count * field_doubles());
      b.label_means.resize(count);
      b.noise_variances.resize(count);
      Rng limit_rng(stream_seed(options_.seed, StreamPurpose::Checks, 100 + run));
      m.limit_sample(limit_rng, count, b.fields, b.label_means, b.noise_variances);
    }
    return b;
  }

  // The wrapper refuses non-finite tokens, labels, teacher directions, Bayes
  // predictions and risk samples, naming the first offending entry.
  std::string check_finiteness(DataModel& m) const {
    const std::uint32_t batch = batch_for(options_.batch);
    const Batch b = draw(m, batch, 1);
    std::string detail = "teacher, " + std::to_string(batch) + " samples (" + std::to_string(b.tokens.size()) +
                         " token values, " + std::to_string(batch) + " labels)";
    if (has_bayes()) {
      detail += ", " + std::to_string(batch) + " Bayes predictions, " + std::to_string(b.risk.size()) + " risk samples";
    }
    if (has_limit()) {
      detail += ", " + std::to_string(b.label_means.size()) + " limit samples (noise variances >= 0)";
    }
    return detail + ": all finite";
  }

  std::string check_determinism(DataModel& m) const {
    const std::uint32_t batch = batch_for(options_.batch);
    DataModel fresh(plugin_, options_.params);
    const Batch first = draw(m, batch, 2);
    const Batch repeat = draw(m, batch, 2);
    const Batch other_instance = draw(fresh, batch, 2);
    const Batch other_seed = draw(m, batch, 3);
    const auto compare = [&](const Batch& b, const char* how) {
      const std::pair<const Buffer*, const Buffer*> parts[] = {{&first.tokens, &b.tokens},
                                                               {&first.labels, &b.labels},
                                                               {&first.prediction, &b.prediction},
                                                               {&first.risk, &b.risk},
                                                               {&first.fields, &b.fields},
                                                               {&first.label_means, &b.label_means},
                                                               {&first.noise_variances, &b.noise_variances}};
      const char* names[] = {"tokens",
                             "labels",
                             "Bayes predictions",
                             "risk samples",
                             "limit teacher fields",
                             "limit label means",
                             "limit label noise variances"};
      for (std::size_t i = 0; i < std::size(names); ++i) {
        if (!check::same_bits(*parts[i].first, *parts[i].second)) {
          throw CheckFailure(std::string(names[i]) + " differ " + how +
                             " with the same seed (randomness must come only from the host's stream)");
        }
      }
    };
    compare(repeat, "between two calls");
    compare(other_instance, "between two instances");
    if (check::same_bits(first.tokens, other_seed.tokens) && check::same_bits(first.labels, other_seed.labels)) {
      throw CheckFailure("another seed gives the same batch: sample does not draw from the host's stream");
    }
    // Risk samples may ignore the stream (a model whose Bayes error is known
    // exactly), so only the batch must change with the seed.
    std::string outputs = "batches";
    if (has_bayes()) outputs += ", predictions and risk samples";
    if (has_limit()) outputs += ", limit samples";
    return "same seed: bit-identical " + outputs +
           " on a repeat call and on a fresh instance; another seed: a different batch";
  }

  std::string check_teacher(DataModel& m) const {
    const RowMatrix& keys = m.teacher_keys();
    const Eigen::VectorXd& value = m.teacher_value();
    const double d = dims_.dimension;
    const Eigen::MatrixXd gram = keys * keys.transpose() / d;
    double cross = 0.0;
    double key_norm = 0.0;
    for (Eigen::Index f = 0; f < gram.rows(); ++f) {
      key_norm = std::max(key_norm, std::fabs(gram(f, f) - 1.0));
      for (Eigen::Index g = 0; g < f; ++g) cross = std::max(cross, std::fabs(gram(f, g)));
    }
    const double value_norm = std::fabs(value.squaredNorm() / d - 1.0);
    const double value_cross = (keys * value).cwiseAbs().maxCoeff() / d;
    const double worst = std::max({cross, key_norm, value_norm, value_cross});
    const std::string detail = "max |k_f.k_g|/D = " + sci(cross) + ", max ||k_f|^2/D - 1| = " + sci(key_norm) +
                               ", ||v|^2/D - 1| = " + sci(value_norm) + ", max |k_f.v|/D = " + sci(value_cross) +
                               " (bound " + sci(options_.teacher_tolerance) + " each)";
    if (!(worst <= options_.teacher_tolerance)) throw CheckFailure(detail);
    return detail;
  }

  // Away from the teacher directions a token is pure N(0, I_D) noise, so its
  // projection on any unit vector orthogonal to them has mean 0 and variance
  // 1. Standard errors come from the data (the variance's from the fourth
  // moment), so heavy tails widen the bound rather than fail the check.
  std::string check_token_statistics(DataModel& m) const {
    const auto d = static_cast<Eigen::Index>(dims_.dimension);
    const auto features = static_cast<Eigen::Index>(dims_.features);
    Eigen::MatrixXd teacher(d, features + 1);
    teacher.leftCols(features) = m.teacher_keys().transpose();
    teacher.col(features) = m.teacher_value();
    const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(teacher);
    const Eigen::Index rank = qr.rank();
    const Eigen::Index count = std::min<Eigen::Index>(options_.statistics_directions, d - rank);
    if (count < 1) return "not checked: the teacher directions span all of R^D";
    // Thin Q (D x rank): the full D x D one would not fit for large D.
    const Eigen::MatrixXd span = qr.householderQ() * Eigen::MatrixXd::Identity(d, rank);

    // Random unit directions, orthogonal to the teacher span and to each other.
    Rng direction_rng(stream_seed(options_.seed, StreamPurpose::Checks, 4));
    Eigen::MatrixXd directions(d, count);
    for (Eigen::Index k = 0; k < count; ++k) {
      Eigen::VectorXd w(d);
      direction_rng.fill_normal(w.data(), static_cast<std::size_t>(d));
      for (int pass = 0; pass < 2; ++pass) {  // twice: Gram-Schmidt loses orthogonality once
        w -= span * (span.transpose() * w);
        w -= directions.leftCols(k) * (directions.leftCols(k).transpose() * w);
      }
      directions.col(k) = w.normalized();
    }

    const auto samples_for = [&](std::size_t tokens) { return (tokens + dims_.length - 1) / dims_.length; };
    const std::size_t samples =
        std::max(samples_for(options_.statistics_min_tokens),
                 std::min(samples_for(options_.statistics_tokens), options_.token_budget / sample_doubles()));
    const std::uint32_t chunk = batch_for(samples);
    Eigen::MatrixXd projections(static_cast<Eigen::Index>(samples * dims_.length), count);
    Rng rng(stream_seed(options_.seed, StreamPurpose::Checks, 5));
    sample_in_batches(m, rng, samples, chunk,
                      [&](const Eigen::Map<const RowMatrix>& x, const Buffer&, std::uint32_t, std::size_t done) {
                        projections.middleRows(static_cast<Eigen::Index>(done * dims_.length), x.rows()).noalias() =
                            x * directions;
                      });

    const auto n = static_cast<double>(projections.rows());
    double worst_z = 0.0;
    double mean_low = std::numeric_limits<double>::infinity();
    double mean_high = -mean_low;
    double variance_low = mean_low;
    double variance_high = -mean_low;
    for (Eigen::Index k = 0; k < count; ++k) {
      const Eigen::ArrayXd p = projections.col(k).array();
      const double mean = p.mean();
      const Eigen::ArrayXd centred = p - mean;
      const double variance = centred.square().sum() / (n - 1.0);
      const double fourth = centred.square().square().mean();
      const double z_mean = z_score(mean, std::sqrt(variance / n));
      const double z_variance = z_score(variance - 1.0, std::sqrt(std::max(fourth - variance * variance, 0.0) / n));
      worst_z = std::max({worst_z, std::fabs(z_mean), std::fabs(z_variance)});
      mean_low = std::min(mean_low, mean);
      mean_high = std::max(mean_high, mean);
      variance_low = std::min(variance_low, variance);
      variance_high = std::max(variance_high, variance);
    }
    const std::string detail = "tokens projected on " + std::to_string(count) +
                               " unit directions outside the teacher span (" + std::to_string(projections.rows()) +
                               " tokens): means in [" + sci(mean_low) + ", " + sci(mean_high) + "], variances in [" +
                               sci(variance_low) + ", " + sci(variance_high) +
                               "]; max |z| against mean 0, variance 1 = " + check::fixed(worst_z) + " (bound " +
                               check::fixed(options_.statistics_z_bound) + ")";
    if (!(worst_z <= options_.statistics_z_bound)) throw CheckFailure(detail);
    return detail;
  }

  // E[(y - E[y|X])^2] estimated twice: from the plugin's own prediction on
  // sampled examples, and as the mean of its risk samples. Both estimate the
  // same number, so they must agree within their combined standard error,
  // and the Bayes predictor cannot do worse than the constant mean label.
  std::string check_bayes(DataModel& m) const {
    const std::size_t examples = std::min(
        options_.bayes_examples, std::max(options_.bayes_min_examples, options_.token_budget / sample_doubles()));
    const std::uint32_t chunk = batch_for(examples);
    Buffer squared_errors;
    Buffer labels_seen;
    Buffer tokens;
    Buffer labels;
    Buffer prediction;
    Rng rng(stream_seed(options_.seed, StreamPurpose::Checks, 6));
    while (squared_errors.size() < examples) {
      const auto batch = static_cast<std::uint32_t>(std::min<std::size_t>(chunk, examples - squared_errors.size()));
      tokens.resize(batch * sample_doubles());
      labels.resize(batch);
      prediction.resize(batch);
      m.sample(rng, batch, tokens, labels);
      m.bayes_prediction(batch, tokens, prediction);
      for (std::uint32_t b = 0; b < batch; ++b) {
        squared_errors.push_back((labels[b] - prediction[b]) * (labels[b] - prediction[b]));
        labels_seen.push_back(labels[b]);
      }
    }
    const MeanEstimate mse = estimate_mean(squared_errors);

    // Against the best constant: paired differences on the same examples.
    double label_mean = 0.0;
    for (const double y : labels_seen) label_mean += y;
    label_mean /= static_cast<double>(labels_seen.size());
    Buffer excess(squared_errors.size());
    for (std::size_t i = 0; i < excess.size(); ++i) {
      excess[i] = squared_errors[i] - (labels_seen[i] - label_mean) * (labels_seen[i] - label_mean);
    }
    const MeanEstimate over_constant = estimate_mean(excess);
    const double label_variance = mse.mean - over_constant.mean;

    Buffer risk_samples(std::max<std::size_t>(options_.bayes_risk_samples, 2));
    Rng risk_rng(stream_seed(options_.seed, StreamPurpose::BayesRisk, 6));
    for (std::size_t done = 0; done < risk_samples.size(); done += kRiskChunk) {
      m.bayes_risk_samples(risk_rng,
                           std::span(risk_samples).subspan(done, std::min(kRiskChunk, risk_samples.size() - done)));
    }
    if (const auto lowest = std::min_element(risk_samples.begin(), risk_samples.end()); *lowest < 0) {
      throw CheckFailure("bayes_risk_samples returned a negative squared error (" + sci(*lowest) + ") at index " +
                         std::to_string(lowest - risk_samples.begin()));
    }
    const MeanEstimate risk = estimate_mean(risk_samples);

    const double z = z_score(mse.mean - risk.mean, std::hypot(mse.standard_error, risk.standard_error));
    const double z_constant = z_score(over_constant.mean, over_constant.standard_error);
    const std::string detail = "Bayes MSE on " + std::to_string(squared_errors.size()) + " samples = " + sci(mse.mean) +
                               " +- " + sci(mse.standard_error) + ", mean of " + std::to_string(risk_samples.size()) +
                               " risk samples = " + sci(risk.mean) + " +- " + sci(risk.standard_error) +
                               ": z = " + check::fixed(z) + " (bound " + check::fixed(options_.bayes_z_bound) +
                               "); Bayes MSE against the label variance " + sci(label_variance) +
                               ": z = " + check::fixed(z_constant) +
                               " (must be <= " + check::fixed(options_.bayes_z_bound) + ")";
    if (!(std::fabs(z) <= options_.bayes_z_bound) || !(z_constant <= options_.bayes_z_bound)) {
      throw CheckFailure(detail);
    }
    return detail;
  }

  // limit_sample claims the law of the teacher fields and of the label given
  // them. For the models it is meant for that law does not depend on D, so it
  // must match sample() at the plugin's own D: compare, statistic by
  // statistic, the teacher fields of sample()'s tokens (x W*^T / sqrt(D))
  // with limit_sample's, each within options.limit_z_bound standard errors
  // of the difference (from both sides' sample variances):
  //   the mean and second moment of every field chi*_{l,t},
  //   E[y^2] against E[label_mean^2 + noise_variance],
  //   E[y chi*_{l,t}] against E[label_mean chi*_{l,t}] (the noise is independent).
  std::string check_limit(DataModel& m) const {
    const std::size_t length = dims_.length;
    const std::size_t directions = std::size_t{dims_.features} + 1;
    const std::size_t fields = length * directions;
    const std::size_t samples = std::min(
        options_.limit_samples, std::max(options_.limit_min_samples, options_.token_budget / sample_doubles()));

    // Per statistic: fields' means, their second moments, E[y^2], E[y chi] (in that order).
    const std::size_t statistics = 3 * fields + 1;
    const auto tally = [&](Moments& sums, const double* chi, double label_square, double label) {
      for (std::size_t k = 0; k < fields; ++k) {
        sums.add(k, chi[k]);
        sums.add(fields + k, chi[k] * chi[k]);
        sums.add(2 * fields + 1 + k, label * chi[k]);
      }
      sums.add(2 * fields, label_square);
    };

    // sample(): teacher fields from the tokens, in chunks.
    Moments finite(statistics);
    {
      const auto d = static_cast<Eigen::Index>(dims_.dimension);
      RowMatrix teacher(static_cast<Eigen::Index>(directions), d);
      teacher.topRows(dims_.features) = m.teacher_keys();
      teacher.row(dims_.features) = m.teacher_value().transpose();
      const Eigen::MatrixXd projection = teacher.transpose() / std::sqrt(static_cast<double>(dims_.dimension));
      const std::uint32_t chunk = batch_for(samples);
      RowMatrix chi;
      Rng rng(stream_seed(options_.seed, StreamPurpose::Checks, 7));
      sample_in_batches(
          m, rng, samples, chunk,
          [&](const Eigen::Map<const RowMatrix>& x, const Buffer& labels, std::uint32_t batch, std::size_t) {
            chi.noalias() = x * projection;
            for (std::uint32_t b = 0; b < batch; ++b) {
              tally(finite, chi.data() + b * fields, labels[b] * labels[b], labels[b]);
            }
          });
    }

    // limit_sample, in chunks of about the same memory.
    Moments limit(statistics);
    {
      const auto chunk = static_cast<std::uint32_t>(std::clamp<std::size_t>(kChunkDoubles / fields, 1, samples));
      Buffer chi;
      Buffer means;
      Buffer variances;
      Rng rng(stream_seed(options_.seed, StreamPurpose::Checks, 8));
      for (std::size_t done = 0; done < samples;) {
        const auto count = static_cast<std::uint32_t>(std::min<std::size_t>(chunk, samples - done));
        chi.resize(count * fields);
        means.resize(count);
        variances.resize(count);
        m.limit_sample(rng, count, chi, means, variances);
        for (std::uint32_t i = 0; i < count; ++i) {
          tally(limit, chi.data() + i * fields, means[i] * means[i] + variances[i], means[i]);
        }
        done += count;
      }
    }

    const auto field_name = [&](std::size_t k) {
      const std::size_t t = k % directions;
      return "token " + std::to_string(k / directions) + ", " +
             (t < dims_.features ? "key " + std::to_string(t) : std::string("value"));
    };
    const auto statistic_name = [&](std::size_t s) -> std::string {
      if (s < fields) return "mean of teacher field (" + field_name(s) + ")";
      if (s < 2 * fields) return "second moment of teacher field (" + field_name(s - fields) + ")";
      if (s == 2 * fields) return "E[y^2] (limit: E[label_mean^2 + noise_variance])";
      return "E[y chi] for teacher field (" + field_name(s - 2 * fields - 1) + ") (limit: E[label_mean chi])";
    };

    double worst_z = 0.0;
    std::size_t worst = 0;
    std::size_t disagreeing = 0;
    std::optional<std::size_t> first;
    for (std::size_t k = 0; k < statistics; ++k) {
      const MeanEstimate a = finite.estimate(k);
      const MeanEstimate b = limit.estimate(k);
      const double z = std::fabs(z_score(a.mean - b.mean, std::hypot(a.standard_error, b.standard_error)));
      // NaN (from an infinite moment) counts as a disagreement.
      if (!(z <= options_.limit_z_bound)) {
        ++disagreeing;
        if (!first) first = k;
      }
      if (!(z <= worst_z)) {
        worst_z = z;
        worst = k;
      }
    }
    const std::string scope = std::to_string(samples) +
                              " samples from sample() at D = " + std::to_string(dims_.dimension) +
                              " and from limit_sample: " + std::to_string(statistics) +
                              " statistics (teacher-field means and second moments, " + "E[y^2], E[y chi] over " +
                              std::to_string(length) + " tokens x " + std::to_string(directions) + " directions)";
    const auto describe = [&](std::size_t k) {
      const MeanEstimate a = finite.estimate(k);
      const MeanEstimate b = limit.estimate(k);
      return statistic_name(k) + ": sample() " + sci(a.mean) + " +- " + sci(a.standard_error) + ", limit_sample " +
             sci(b.mean) + " +- " + sci(b.standard_error) +
             ", z = " + check::fixed(z_score(a.mean - b.mean, std::hypot(a.standard_error, b.standard_error)));
    };
    if (first) {
      throw CheckFailure(std::to_string(disagreeing) + " of " + std::to_string(statistics) +
                         " statistics disagree beyond " + check::fixed(options_.limit_z_bound) +
                         " standard errors; the first: " + describe(*first) + " (" + scope + ")");
    }
    return scope + ": max |z| = " + check::fixed(worst_z) + " (bound " + check::fixed(options_.limit_z_bound) +
           "), at " + statistic_name(worst);
  }

  // Many sample calls of varied batch sizes on streams of their own, with a
  // Bayes prediction now and then when offered: finds the plugin that fails
  // only late (after N calls).
  std::string check_long_run(DataModel& m) const {
    const std::uint32_t calls = options_.long_run_calls;
    // Batches of 1 to 8 samples, fewer when L x D is large.
    const auto largest = static_cast<std::uint32_t>(
        std::clamp<std::size_t>(options_.token_budget / (std::size_t{calls} * sample_doubles()), 1, 8));
    Rng sizes(stream_seed(options_.seed, StreamPurpose::Checks, 9));
    Buffer tokens;
    Buffer labels;
    Buffer prediction;
    for (std::uint32_t call = 0; call < calls; ++call) {
      const auto batch = 1 + static_cast<std::uint32_t>(sizes.uniform() * largest) % largest;
      tokens.resize(batch * sample_doubles());
      labels.resize(batch);
      Rng rng(stream_seed(options_.seed, StreamPurpose::Checks, 1000 + call));
      try {
        m.sample(rng, batch, tokens, labels);
        if (has_bayes() && call % 16 == 0) {
          prediction.resize(batch);
          m.bayes_prediction(batch, tokens, prediction);
        }
      } catch (const std::exception& e) {
        throw CheckFailure(std::string(e.what()) + " at call " + std::to_string(call + 1) + " (batch of " +
                           std::to_string(batch) + ")");
      }
    }
    return std::to_string(calls) + " sample calls, batches of 1 to " + std::to_string(largest) +
           (has_bayes() ? ", a Bayes prediction every 16th" : "") + ": all finite";
  }

  std::shared_ptr<const PluginLibrary> plugin_;
  DataModelCheckOptions options_;
  attnlab_data_dims dims_{};
  std::optional<DataModel> model_;
  bool wrote_out_of_bounds_ = false;
};

}  // namespace

std::vector<CheckResult> check_data_model(const std::shared_ptr<const PluginLibrary>& plugin,
                                          const DataModelCheckOptions& options) {
  if (plugin->kind() != PluginKind::DataModel) {
    throw UsageError(plugin->label() + " is " + with_article(plugin->kind()) + ", not a data-model");
  }
  return DataModelChecker(plugin, options).run();
}

std::optional<attnlab_data_dims> probe_data_dims(const PluginLibrary& plugin, const std::string& params,
                                                 double timeout_seconds) {
  if (plugin.kind() != PluginKind::DataModel) return std::nullopt;
  // In a child process: a plugin that crashes or hangs here has no
  // dimensions, and the checks say why.
  const IsolatedOutcome outcome = run_isolated(
      [&] {
        RawInstance raw(plugin, params);
        attnlab_data_dims dims{};
        if (raw.table().dims(raw.get(), &dims, raw.error()) != ATTNLAB_OK) return std::string();
        return std::to_string(dims.dimension) + " " + std::to_string(dims.length) + " " + std::to_string(dims.features);
      },
      timeout_seconds);
  unsigned long d = 0, l = 0, f = 0;
  if (!outcome.answered() || std::sscanf(outcome.answer.c_str(), "%lu %lu %lu", &d, &l, &f) != 3) return std::nullopt;
  return attnlab_data_dims{static_cast<std::uint32_t>(d), static_cast<std::uint32_t>(l), static_cast<std::uint32_t>(f)};
}

}  // namespace attnlab
