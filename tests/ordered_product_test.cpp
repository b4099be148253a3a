// The learner's products (framework/src/training/ordered_product.hpp): each output is
// the sum over k in index order, the same bits from the portable and the AVX2
// kernel whatever the shape and wherever the buffers lie. This file is
// compiled without fused multiply-add, like the kernels, so that the plain
// loop below is the reference bit for bit.
#include "training/ordered_product.hpp"

#include <attnlab/framework/common/random.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <vector>

namespace op = attnlab::ordered_product;

namespace {

struct Shape {
  std::size_t rows, depth, columns;
  bool transposed_a;  // a stored depth x rows, as the learner's gradient passes it
};

struct Problem {
  std::vector<double> a, b;
  op::Operands operands(std::vector<double>& out, const Shape& s, std::size_t a_offset = 0,
                        std::size_t b_offset = 0) const {
    const std::size_t a_row = s.transposed_a ? 1 : s.depth;
    const std::size_t a_col = s.transposed_a ? s.rows : 1;
    return {a.data() + a_offset,
            a_row,
            a_col,
            b.data() + b_offset,
            s.columns,
            out.data(),
            s.columns,
            s.rows,
            s.depth,
            s.columns};
  }
};

Problem random_problem(const Shape& s, std::uint64_t seed, std::size_t slack) {
  attnlab::Rng rng(seed);
  Problem p{std::vector<double>(s.rows * s.depth + slack), std::vector<double>(s.depth * s.columns + slack)};
  rng.fill_normal(p.a.data(), p.a.size());
  rng.fill_normal(p.b.data(), p.b.size());
  return p;
}

std::vector<double> in_order_reference(const op::Operands& o) {
  std::vector<double> out(o.rows * o.columns);
  for (std::size_t r = 0; r < o.rows; ++r) {
    for (std::size_t c = 0; c < o.columns; ++c) {
      double sum = 0.0;
      for (std::size_t k = 0; k < o.depth; ++k) {
        sum += o.a[r * o.a_row_stride + k * o.a_column_stride] * o.b[k * o.b_stride + c];
      }
      out[r * o.columns + c] = sum;
    }
  }
  return out;
}

std::size_t bit_differences(const std::vector<double>& x, const std::vector<double>& y) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < x.size(); ++i) count += x[i] != y[i] ? 1 : 0;
  return count;
}

// Shapes of the learner (forward: B L x D times D x 2H; backward: 2H x B L
// from transposed gradients times B L x D) and odd ones that leave every
// remainder path: rows not a multiple of 4, columns not a multiple of 4 or 8,
// depth over one 256 block, and enough rows (>= 32) for the kernels to copy
// panels of b, with and without the other remainders.
const Shape kShapes[] = {
    {1, 1, 1, false},   {3, 7, 5, false},       {20, 200, 8, false},   {8, 20, 200, true},   {7, 300, 13, false},
    {6, 600, 31, true}, {1280, 200, 16, false}, {16, 640, 1000, true}, {45, 530, 13, false}, {37, 300, 21, true},
};

}  // namespace

TEST_CASE("the ordered product is the plain sum over k in order, bit for bit", "[ordered_product]") {
  std::uint64_t seed = 1;
  for (const Shape& s : kShapes) {
    INFO("rows " << s.rows << " depth " << s.depth << " columns " << s.columns << (s.transposed_a ? " (a^T)" : ""));
    const Problem p = random_problem(s, seed++, 0);
    std::vector<double> out(s.rows * s.columns, std::nan(""));
    const op::Operands o = p.operands(out, s);
    op::multiply_portable(o);
    // NaN never compares equal: an output the kernel missed shows here.
    CHECK(bit_differences(out, in_order_reference(o)) == 0);
  }
}

TEST_CASE("the AVX2 kernel gives the portable kernel's bits", "[ordered_product]") {
  if (!op::avx2_available()) {
    WARN("this CPU has no AVX2: only the portable kernel runs here");
    return;
  }
  std::uint64_t seed = 100;
  for (const Shape& s : kShapes) {
    INFO("rows " << s.rows << " depth " << s.depth << " columns " << s.columns);
    const Problem p = random_problem(s, seed++, 0);
    std::vector<double> portable(s.rows * s.columns), avx2(s.rows * s.columns);
    op::multiply_portable(p.operands(portable, s));
    op::multiply_avx2(p.operands(avx2, s));
    CHECK(bit_differences(portable, avx2) == 0);
  }
}

TEST_CASE("the ordered product does not depend on where its buffers lie", "[ordered_product]") {
  // The same numbers at addresses shifted by 1..3 doubles (8..24 bytes), so
  // that 16- and 32-byte alignments all occur.
  const Shape s{20, 200, 8, false};
  const Problem p = random_problem(s, 7, 0);
  std::vector<double> expected(s.rows * s.columns);
  op::multiply(p.operands(expected, s));
  for (std::size_t shift = 1; shift <= 3; ++shift) {
    INFO("shifted by " << shift << " doubles");
    Problem moved{std::vector<double>(shift, 0.0), std::vector<double>(shift, 0.0)};
    moved.a.insert(moved.a.end(), p.a.begin(), p.a.end());
    moved.b.insert(moved.b.end(), p.b.begin(), p.b.end());
    std::vector<double> out(s.rows * s.columns + shift);
    op::Operands o = moved.operands(out, s, shift, shift);
    o.out = out.data() + shift;
    op::multiply(o);
    CHECK(bit_differences(std::vector<double>(out.begin() + static_cast<std::ptrdiff_t>(shift), out.end()), expected) ==
          0);
  }
}
