#pragma once
// Plain-loop twin of kernels/transpose.hpp: five nested loops over the output.
#include <cstdint>

namespace ln::reference {
void transpose_copy(const float* x, int64_t a, int64_t m, int64_t b, int64_t n, int64_t k, float* y);
}  // namespace ln::reference
