// Portable random numbers: the same seed gives the same numbers with every
// compiler and standard library (std:: distributions do not guarantee that).
#pragma once

#include <attnlab/plugin_abi.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>

namespace attnlab {

// SplitMix64: turns one seed into well-mixed state words.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// xoshiro256** (Blackman & Vigna): small, fast, and good enough for simulation.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& word : state_) word = splitmix64(seed);
  }

  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // The full generator state, for checkpoints.
  std::array<std::uint64_t, 4> state() const { return {state_[0], state_[1], state_[2], state_[3]}; }
  void set_state(const std::array<std::uint64_t, 4>& state) {
    for (int i = 0; i < 4; ++i) state_[i] = state[i];
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  double uniform(double low, double high) { return low + (high - low) * uniform(); }

  // Standard normal by Box–Muller (one value per call; the pair's twin is
  // discarded to keep the stream position simple to reason about).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

  // `count` standard normals, using both values of each Box–Muller pair.
  void fill_normal(double* out, std::size_t count) {
    std::size_t i = 0;
    for (; i + 1 < count; i += 2) {
      const double radius = std::sqrt(-2.0 * std::log(1.0 - uniform()));
      const double angle = 2.0 * std::numbers::pi * uniform();
      out[i] = radius * std::cos(angle);
      out[i + 1] = radius * std::sin(angle);
    }
    if (i < count) out[i] = normal();
  }

  void fill_uniform(double* out, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) out[i] = uniform();
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4];
};

// Independent streams per purpose, so that e.g. changing the test-set size
// does not change the training data.
enum class StreamPurpose : std::uint64_t { Init = 1, TrainData = 2, TestData = 3, BayesRisk = 4, Checks = 5 };

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
