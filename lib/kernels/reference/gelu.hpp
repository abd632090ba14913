#pragma once
// Plain-loop twins of kernels/gelu.hpp using libm's erf/exp in double.
#include <cstdint>

namespace ln::reference {
void gelu_forward(const float* x, int64_t n, float* y);
void gelu_backward(const float* x, const float* dy, int64_t n, float* dx);
}  // namespace ln::reference
