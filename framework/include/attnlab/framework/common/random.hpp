// Portable random numbers: the same seed gives the same numbers with every
// compiler and standard library (std:: distributions do not guarantee that),
// and normals several times faster than std::normal_distribution.
#pragma once

#include <attnlab/plugin_abi.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace attnlab {

// SplitMix64: turns one seed into well-mixed state words.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Tables of the ziggurat method for the standard normal (Marsaglia & Tsang
// 2000, in the form of Doornik 2005): 256 layers of equal area V under the
// density's right half, the base layer holding the tail beyond R. x[i] are the
// layers' right edges (x[1] = R, x[256] = 0), ratio[i] = x[i+1] / x[i].
// The fast path works on w = (top 53 bits) - 2^52, so u = w / 2^52 in
// [-1, 1): |u| < ratio[i] exactly when |w| < inside_limit[i] = ceil(ratio[i]
// 2^52), and u x[i] equals w scale[i] with scale[i] = x[i] / 2^52 (scaling by
// a power of two is exact), so integer test and one product give the same
// numbers as the floating-point form.
struct ZigguratTables {
  static constexpr int kLayers = 256;
  static constexpr double kTailStart = 3.6541528853610088;  // R
  static constexpr double kLayerArea = 0.00492867323399;    // V
  std::array<double, kLayers + 1> x{};
  std::array<double, kLayers> ratio{};
  std::array<std::int64_t, kLayers> inside_limit{};
  std::array<double, kLayers> scale{};

  ZigguratTables() {
    double f = std::exp(-0.5 * kTailStart * kTailStart);
    x[0] = kLayerArea / f;
    x[1] = kTailStart;
    x[kLayers] = 0.0;
    for (int i = 2; i < kLayers; ++i) {
      x[i] = std::sqrt(-2.0 * std::log(kLayerArea / x[i - 1] + f));
      f = std::exp(-0.5 * x[i] * x[i]);
    }
    for (int i = 0; i < kLayers; ++i) {
      ratio[i] = x[i + 1] / x[i];
      inside_limit[i] = static_cast<std::int64_t>(std::ceil(std::ldexp(ratio[i], 52)));
      scale[i] = std::ldexp(x[i], -52);
    }
  }
};

// Built once, read-only afterwards.
inline const ZigguratTables& ziggurat_tables() {
  static const ZigguratTables tables;
  return tables;
}

// xoshiro256** (Blackman & Vigna): small, fast, and good enough for simulation.
struct Xoshiro256 {
  std::uint64_t s0, s1, s2, s3;

  std::uint64_t next() {
    const std::uint64_t result = rotl(s1 * 5, 7) * 9;
    const std::uint64_t t = s1 << 17;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 45);
    return result;
  }

  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
};

class Rng {
 public:
  explicit Rng(std::uint64_t seed)
      // A braced list evaluates in order: the four words are the seed's first four mixes.
      : state_{splitmix64(seed), splitmix64(seed), splitmix64(seed), splitmix64(seed)} {}

  std::uint64_t next_u64() { return state_.next(); }

  // The full generator state, for checkpoints.
  std::array<std::uint64_t, 4> state() const { return {state_.s0, state_.s1, state_.s2, state_.s3}; }
  void set_state(const std::array<std::uint64_t, 4>& state) { state_ = {state[0], state[1], state[2], state[3]}; }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  double uniform(double low, double high) { return low + (high - low) * uniform(); }

  // Standard normal by the ziggurat method: the common case here, the rest in
  // Rng::normal_from below.
  double normal() {
    const std::uint64_t bits = next_u64();
    double x = 0.0;
    return inside_rectangle(ziggurat_tables(), bits, x) ? x : normal_from(bits);
  }

  // The same numbers as `count` calls of normal(). The state is copied to a
  // local for the loop: as a member, the rare call to normal_from makes the
  // compiler keep it in memory, which costs a third of the time.
  void fill_normal(double* out, std::size_t count) {
    const ZigguratTables& z = ziggurat_tables();
    Xoshiro256 local = state_;
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint64_t bits = local.next();
      if (!inside_rectangle(z, bits, out[i])) [[unlikely]] {
        state_ = local;
        out[i] = normal_from(bits);
        local = state_;
      }
    }
    state_ = local;
  }

  void fill_uniform(double* out, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) out[i] = uniform();
  }

 private:
  // The common case of normal, fill_normal and normal_from: the draw lies
  // inside its layer's rectangle, and `out` is its normal. The integer form
  // of |u| < ratio[layer] (ZigguratTables).
  static bool inside_rectangle(const ZigguratTables& z, std::uint64_t bits, double& out) {
    const auto layer = static_cast<int>(bits & 0xff);
    const std::int64_t w = static_cast<std::int64_t>(bits >> 11) - (std::int64_t{1} << 52);
    if ((w < 0 ? -w : w) >= z.inside_limit[layer]) return false;
    out = static_cast<double>(w) * z.scale[layer];
    return true;
  }
  // A standard normal whose first attempt uses the draw `bits`.
  [[gnu::cold]] double normal_from(std::uint64_t bits);
  // Uniform in [-1, 1) from the top 53 bits (the low 8 pick the layer).
  static double ziggurat_uniform(std::uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-52 - 1.0; }
  Xoshiro256 state_;
};

// One 64-bit draw picks the layer (low 8 bits) and a uniform in [-1, 1)
// (top 53 bits); about 99% of draws return at once from inside a layer's
// rectangle, the rest take the wedge or tail test.
inline double Rng::normal_from(std::uint64_t bits) {
  const ZigguratTables& z = ziggurat_tables();
  for (;; bits = next_u64()) {
    if (double x = 0.0; inside_rectangle(z, bits, x)) return x;
    const auto layer = static_cast<int>(bits & 0xff);
    const double u = ziggurat_uniform(bits);
    if (layer == 0) {
      // Tail beyond R (Marsaglia 1964): exponential proposals, accepted with
      // the ratio of the normal to the exponential density.
      double x = 0.0, y = 0.0;
      do {
        x = std::log(1.0 - uniform()) / ZigguratTables::kTailStart;
        y = std::log(1.0 - uniform());
      } while (-2.0 * y < x * x);
      return u < 0 ? x - ZigguratTables::kTailStart : ZigguratTables::kTailStart - x;
    }
    // Wedge between the layer's rectangle and the density.
    const double x = u * z.x[layer];
    const double f0 = std::exp(-0.5 * (z.x[layer] * z.x[layer] - x * x));
    const double f1 = std::exp(-0.5 * (z.x[layer + 1] * z.x[layer + 1] - x * x));
    if (f1 + uniform() * (f0 - f1) < 1.0) return x;
  }
}

// Independent streams per purpose, so that e.g. changing the test-set size
// does not change the training data.
enum class StreamPurpose : std::uint64_t {
  Init = 1,
  TrainData = 2,
  TestData = 3,
  BayesRisk = 4,
  Checks = 5,
  LimitDraw = 6,   // the high-dimensional limit's Monte Carlo base draws (run = draw)
  LimitRisk = 7,   // the sample scoring the limit's population risk
  RefitSample = 8  // the sample pruning refits values on (independent of the test set)
};

// Seed of the stream for (seed, purpose, run); run distinguishes repeated runs.
inline std::uint64_t stream_seed(std::uint64_t seed, StreamPurpose purpose, std::uint64_t run = 0) {
  std::uint64_t state = seed;
  std::uint64_t mixed = splitmix64(state);
  state = mixed ^ static_cast<std::uint64_t>(purpose);
  mixed = splitmix64(state);
  state = mixed ^ run;
  return splitmix64(state);
}

// Hands `rng` to a plugin through the ABI; valid while `rng` lives.
inline attnlab_random_stream abi_stream(Rng& rng) {
  return attnlab_random_stream{
      &rng,
      [](void* state, double* out, std::size_t count) { static_cast<Rng*>(state)->fill_normal(out, count); },
      [](void* state, double* out, std::size_t count) { static_cast<Rng*>(state)->fill_uniform(out, count); },
      [](void* state) { return static_cast<Rng*>(state)->next_u64(); },
  };
}

}  // namespace attnlab
