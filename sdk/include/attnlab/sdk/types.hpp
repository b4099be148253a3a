// Types shared by the C++ author layers of every plugin kind.
#pragma once

#include <attnlab/plugin_abi.h>

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>

namespace attnlab {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using VectorMap = Eigen::Map<Eigen::VectorXd>;
using ConstVectorMap = Eigen::Map<const Eigen::VectorXd>;

enum class Normalization : std::uint32_t {
  None = ATTNLAB_NORM_NONE,
  PerHeadSumOne = ATTNLAB_NORM_PER_HEAD_SUM_ONE,
  PerHeadSumAtMostOne = ATTNLAB_NORM_PER_HEAD_SUM_AT_MOST_ONE,
  JointSumOne = ATTNLAB_NORM_JOINT_SUM_ONE,
};

// What an optimizer keeps invariant in every step (see attnlab_optimizer_constraint).
enum class Constraint : std::uint32_t {
  None = ATTNLAB_CONSTRAINT_NONE,
  Sphere = ATTNLAB_CONSTRAINT_SPHERE,  // each key and value vector keeps its norm
};

// What a plugin says about itself; strings must outlive the library (literals).
struct PluginInfo {
  const char* id = "";
  const char* name = "";
  const char* version = "";
  const char* description = "";
  Normalization normalization = Normalization::None;  // activations only
  // Last, so that initializers naming only the fields above stay valid.
  Constraint constraint = Constraint::None;  // optimizers only
};

// Which heads take part; a null mask means every head is active.
class HeadMask {
 public:
  HeadMask(const unsigned char* mask, std::uint32_t heads) : mask_(mask), heads_(heads) {}
  bool active(std::uint32_t head) const { return mask_ == nullptr || mask_[head] != 0; }
  std::uint32_t heads() const { return heads_; }

 private:
  const unsigned char* mask_;
  std::uint32_t heads_;
};

// The host's random stream, seen from a plugin.
class RandomStream {
 public:
  explicit RandomStream(attnlab_random_stream* stream) : stream_(stream) {}
  void fill_normal(double* out, std::size_t count) { stream_->fill_normal(stream_->state, out, count); }
  void fill_uniform(double* out, std::size_t count) { stream_->fill_uniform(stream_->state, out, count); }
  double normal() {
    double x;
    fill_normal(&x, 1);
    return x;
  }
  double uniform() {
    double x;
    fill_uniform(&x, 1);
    return x;
  }
  std::uint64_t next_u64() { return stream_->next_u64(stream_->state); }
  // Uniform integer in [0, n), n > 0, without modulo bias (Lemire's method).
  std::uint64_t uniform_index(std::uint64_t n) {
    __uint128_t product = static_cast<__uint128_t>(next_u64()) * n;
    auto low = static_cast<std::uint64_t>(product);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        product = static_cast<__uint128_t>(next_u64()) * n;
        low = static_cast<std::uint64_t>(product);
      }
    }
    return static_cast<std::uint64_t>(product >> 64);
  }

 private:
  attnlab_random_stream* stream_;
};

}  // namespace attnlab
