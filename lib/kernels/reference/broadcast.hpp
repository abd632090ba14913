#pragma once
// Plain-loop twins of kernels/broadcast.hpp: one multi-index walk over every output element.
#include <cstdint>

#include "kernels/broadcast.hpp"

namespace ln::reference {
void broadcast_binary(BinaryOp op, const float* a, const int64_t* a_strides, const float* b,
                      const int64_t* b_strides, const int64_t* out_shape, int rank, float* out);
void broadcast_reduce(const float* g, const int64_t* out_shape, const int64_t* in_strides, int rank,
                      float scale, float* in, int64_t in_numel);
}  // namespace ln::reference
