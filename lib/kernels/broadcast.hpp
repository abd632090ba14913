#pragma once
// Elementwise binary ops with numpy broadcasting, and the reduction their gradients need.
// Shapes are given already aligned to the output's rank: a stride of 0 marks a broadcast dim.
// Adjacent dims are collapsed first, so the innermost loop is as long as possible and is one
// of (contiguous, contiguous), (contiguous, scalar), (scalar, contiguous).
#include <cstdint>

namespace ln {

enum class BinaryOp : uint8_t { add, sub, mul };

// out (contiguous, out_shape of `rank` dims) = a op b; a_strides/b_strides: element strides
// of a and b over out_shape (0 where broadcast).
void broadcast_binary(BinaryOp op, const float* a, const int64_t* a_strides, const float* b,
                      const int64_t* b_strides, const int64_t* out_shape, int rank, float* out);

// in (contiguous, in_numel elements) = scale * (g summed over the dims where in_strides is 0).
// g is contiguous over out_shape. Deterministic: the summation order depends on shapes only.
void broadcast_reduce(const float* g, const int64_t* out_shape, const int64_t* in_strides, int rank,
                      float scale, float* in, int64_t in_numel);

}  // namespace ln
