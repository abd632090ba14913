#pragma once
// Plain-loop twin of kernels/dropout.hpp: one dropout_keep() call per element.
#include <cstdint>

namespace ln::reference {
void dropout_apply(const float* x, int64_t n, float p, uint64_t seed, float* y);
}  // namespace ln::reference
