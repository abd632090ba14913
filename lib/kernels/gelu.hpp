#pragma once
// Exact (erf) GELU, PyTorch's default F.gelu: y = x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2.
// erf comes from kernels/vec_math.hpp (abs error < 4e-7), so the loops vectorise.
#include <cstdint>

namespace ln {

// x, y: (n) elementwise.
void gelu_forward(const float* x, int64_t n, float* y);
// dx = dy * (Phi(x) + x * phi(x)); dx may alias dy.
void gelu_backward(const float* x, const float* dy, int64_t n, float* dx);
// The forward and its derivative dy/dx = Phi(x) + x * phi(x) in one pass: phi(x) is the
// Gaussian erf already computes, so the pair costs one exp per element where the forward and
// gelu_backward cost three, and the backward becomes dx = dy * dydx (gelu_backward_with_derivative).
void gelu_forward_with_derivative(const float* x, int64_t n, float* y, float* dydx);
// dx = dy * dydx; dx may alias dy.
void gelu_backward_with_derivative(const float* dydx, const float* dy, int64_t n, float* dx);

}  // namespace ln
