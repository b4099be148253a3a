#include "training/ordered_product.hpp"

#include <algorithm>
#include <cstring>

namespace attnlab::ordered_product {
namespace {

// Two and four doubles: one SSE2 or one AVX register. The portable kernel
// must not use the wider one: GCC then keeps the sums in memory (10x slower).
typedef double Vec2 __attribute__((vector_size(16)));
typedef double Vec4 __attribute__((vector_size(32)));

template <typename Vec>
[[gnu::always_inline]] inline Vec load(const double* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename Vec>
[[gnu::always_inline]] inline void store(double* p, Vec v) {
  std::memcpy(p, &v, sizeof v);
}

[[gnu::always_inline]] inline double a_at(const Operands& o, std::size_t r, std::size_t k) {
  return o.a[r * o.a_row_stride + k * o.a_column_stride];
}

constexpr std::size_t kDepthBlock = 256;

// Rows [k0, k1) and columns [c0, c0 + kColumns) of b:
// b(k, c0 + j) = data[(k - k0) * stride + j].
struct Panel {
  const double* data;
  std::size_t stride;
};

// kRows x kColumns outputs held in registers over depth [k0, k1), starting
// from 0 on the first depth block and from the stored partial sums after.
template <typename Vec, int kRows, int kColumns>
[[gnu::always_inline]] inline void block(const Operands& o, Panel b_panel, std::size_t r0, std::size_t c0,
                                         std::size_t k0, std::size_t k1) {
  constexpr int kLanes = sizeof(Vec) / sizeof(double);
  constexpr int kVecs = kColumns / kLanes;
  Vec acc[kRows][kVecs];
  for (int r = 0; r < kRows; ++r) {
    for (int v = 0; v < kVecs; ++v) {
      acc[r][v] = k0 == 0 ? Vec{} : load<Vec>(o.out + (r0 + r) * o.out_stride + c0 + kLanes * v);
    }
  }
  for (std::size_t k = k0; k < k1; ++k) {
    const double* b_row = b_panel.data + (k - k0) * b_panel.stride;
    Vec b[kVecs];
    for (int v = 0; v < kVecs; ++v) b[v] = load<Vec>(b_row + kLanes * v);
    for (int r = 0; r < kRows; ++r) {
      const double a = a_at(o, r0 + r, k);
      for (int v = 0; v < kVecs; ++v) acc[r][v] += a * b[v];
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int v = 0; v < kVecs; ++v) store(o.out + (r0 + r) * o.out_stride + c0 + kLanes * v, acc[r][v]);
  }
}

// The last columns beyond a multiple of 4, one output at a time.
[[gnu::always_inline]] inline void scalar_column(const Operands& o, std::size_t c, std::size_t k0, std::size_t k1) {
  for (std::size_t r = 0; r < o.rows; ++r) {
    double* out = o.out + r * o.out_stride + c;
    double acc = k0 == 0 ? 0.0 : *out;
    for (std::size_t k = k0; k < k1; ++k) acc += a_at(o, r, k) * o.b[k * o.b_stride + c];
    *out = acc;
  }
}

// All rows for the columns [c0, c0 + kColumns): kRows at a time, then one.
// Where many row blocks read the panel of b, it is first copied to aligned,
// contiguous memory, so that no vector load straddles two cache lines: the
// learner's forward+backward at batch 64, D = 1000 got 12 % faster. With a
// few row blocks (the gradient product has 2H rows) the copy did not pay.
template <typename Vec, int kRows, int kColumns>
[[gnu::always_inline]] inline void column_panel(const Operands& o, std::size_t c0, std::size_t k0, std::size_t k1) {
  Panel panel{o.b + k0 * o.b_stride + c0, o.b_stride};
  alignas(64) double packed[kDepthBlock * kColumns];
  if (o.rows >= 8 * kRows) {
    for (std::size_t k = k0; k < k1; ++k) {
      std::memcpy(packed + (k - k0) * kColumns, panel.data + (k - k0) * panel.stride, sizeof packed[0] * kColumns);
    }
    panel = {packed, kColumns};
  }
  std::size_t r = 0;
  for (; r + kRows <= o.rows; r += kRows) block<Vec, kRows, kColumns>(o, panel, r, c0, k0, k1);
  for (; r < o.rows; ++r) block<Vec, 1, kColumns>(o, panel, r, c0, k0, k1);
}

// Depth in blocks, so that the rows of b a panel reads stay in cache while
// every row block passes over them; each output's sum still runs k = 0, 1, ...
// (Tiling the columns too, so that a is read once per tile rather than once
// per panel, measured no faster on the learner's shapes.)
template <typename Vec, int kRows>
[[gnu::always_inline]] inline void multiply_blocked(const Operands& o) {
  if (o.depth == 0) {
    for (std::size_t r = 0; r < o.rows; ++r) std::fill_n(o.out + r * o.out_stride, o.columns, 0.0);
    return;
  }
  for (std::size_t k0 = 0; k0 < o.depth; k0 += kDepthBlock) {
    const std::size_t k1 = std::min(o.depth, k0 + kDepthBlock);
    std::size_t c = 0;
    for (; c + 8 <= o.columns; c += 8) column_panel<Vec, kRows, 8>(o, c, k0, k1);
    for (; c + 4 <= o.columns; c += 4) column_panel<Vec, kRows, 4>(o, c, k0, k1);
    for (; c < o.columns; ++c) scalar_column(o, c, k0, k1);
  }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ATTNLAB_HAS_AVX2_KERNEL 1
// Four rows of eight outputs: eight AVX registers of sums.
[[gnu::target("avx2")]] void multiply_with_avx2(const Operands& o) {
  multiply_blocked<Vec4, 4>(o);
}
#else
#define ATTNLAB_HAS_AVX2_KERNEL 0
#endif

using Kernel = void (*)(const Operands&);

// Picked once: multiply_avx2 would ask the CPU again on every call.
Kernel best_kernel() {
#if ATTNLAB_HAS_AVX2_KERNEL
  if (__builtin_cpu_supports("avx2")) return &multiply_with_avx2;
#endif
  return &multiply_portable;
}

}  // namespace

// Two rows of eight outputs: eight SSE2 registers of sums.
void multiply_portable(const Operands& operands) {
  multiply_blocked<Vec2, 2>(operands);
}

bool avx2_available() {
#if ATTNLAB_HAS_AVX2_KERNEL
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

void multiply_avx2(const Operands& operands) {
#if ATTNLAB_HAS_AVX2_KERNEL
  if (avx2_available()) {
    multiply_with_avx2(operands);
    return;
  }
#endif
  multiply_portable(operands);
}

void multiply(const Operands& operands) {
  static const Kernel kernel = best_kernel();  // the CPU does not change
  kernel(operands);
}

}  // namespace attnlab::ordered_product
