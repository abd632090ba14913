#pragma once
// fp32 -> bf16 conversion of whole buffers (round to nearest even, core/bf16.hpp), parallel
// over blocks; and the same rounding kept in fp32 (the exact fallback of a bf16 GEMM on CPUs
// without bf16 matmuls: products of bf16 values are exact in fp32).
#include <cstdint>

#include "core/bf16.hpp"

namespace ln {

void convert_to_bf16(const float* x, bf16* y, int64_t n);
void round_to_bf16(const float* x, float* y, int64_t n);  // y may alias x

}  // namespace ln
