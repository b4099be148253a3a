// The learner's matrix products, each output summed in index order.
//
// out(r, c) = sum over k = 0, 1, ..., depth-1 of a(r, k) b(k, c), added one
// term at a time in that order. Vectorized across the outputs c, never within
// a sum, so the numbers do not depend on the vector width, the blocking or
// where the buffers lie: the AVX2 kernel (picked at run time where the CPU
// has it) and the portable one give the same bits, on every machine and
// build (the file is compiled without fused multiply-add).
#pragma once

#include <cstddef>

namespace attnlab::ordered_product {

// a(r, k) = a[r * row_stride + k * column_stride]: any layout (the learner
// passes transposed gradients). b(k, c) = b[k * b_stride + c] and
// out(r, c) = out[r * out_stride + c]: rows contiguous along c.
struct Operands {
  const double* a;
  std::size_t a_row_stride;
  std::size_t a_column_stride;
  const double* b;
  std::size_t b_stride;
  double* out;
  std::size_t out_stride;
  std::size_t rows;
  std::size_t depth;
  std::size_t columns;
};

// out = a b with the kernel the CPU supports best.
void multiply(const Operands& operands);

// The two kernels, for tests that hold them to the same bits.
void multiply_portable(const Operands& operands);
// False where the CPU or build has no AVX2 kernel (multiply_avx2 then runs
// the portable one).
bool avx2_available();
void multiply_avx2(const Operands& operands);

}  // namespace attnlab::ordered_product
