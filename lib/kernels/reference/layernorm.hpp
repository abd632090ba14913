#pragma once
// Plain-loop twins of kernels/layernorm.hpp (same signatures), accumulating in double.
#include <cstdint>

namespace ln::reference {

void layernorm_forward(const float* x, const float* weight, const float* bias, int64_t n, int64_t c,
                       float eps, float* y, float* mean, float* rstd);
void layernorm_backward(const float* dy, const float* x, const float* weight, const float* mean,
                        const float* rstd, int64_t n, int64_t c, float* dx, float* dweight, float* dbias);
void rmsnorm_forward(const float* x, const float* weight, int64_t n, int64_t c, float eps, float* y,
                     float* rstd);
void rmsnorm_backward(const float* dy, const float* x, const float* weight, const float* rstd, int64_t n,
                      int64_t c, float* dx, float* dweight);
}  // namespace ln::reference
