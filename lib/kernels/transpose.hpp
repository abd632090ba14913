#pragma once
// Swap of two dimensions as a copy. Any transpose of two dims of a contiguous tensor is
//   x: (A, M, B, N, K) -> y: (A, N, B, M, K)
// where M and N are the swapped dims, A the product of dims before M, B of those between,
// K of those after N. (B, T, H, D) <-> (B, H, T, D) is A = B, M = T, B = 1, N = H, K = D.
#include <cstdint>

namespace ln {

// Tiles (M, N) in 16 x 16 blocks of K-element items so both sides stream through cache;
// parallel over tiles.
void transpose_copy(const float* x, int64_t a, int64_t m, int64_t b, int64_t n, int64_t k, float* y);

}  // namespace ln
