#pragma once
// LayerNorm and RMSNorm over the last dimension, forward and fused backward.
// Rows are independent (parallel over rows); dweight/dbias are reduced across rows in
// fixed chunks (see kernels/parallel.hpp), so results do not depend on the thread count.
#include <cstdint>

namespace ln {

// x, y: (N, C); weight: (C); bias: (C) or null; mean, rstd: (N) saved for the backward.
void layernorm_forward(const float* x, const float* weight, const float* bias, int64_t n, int64_t c,
                       float eps, float* y, float* mean, float* rstd);
// dy, x, dx: (N, C). dx is written (not accumulated). dweight/dbias: (C), written; either
// may be null when that gradient is not wanted.
void layernorm_backward(const float* dy, const float* x, const float* weight, const float* mean,
                        const float* rstd, int64_t n, int64_t c, float* dx, float* dweight, float* dbias);

// y = x * rstd * weight with rstd = 1 / sqrt(mean(x^2) + eps). rstd: (N), saved.
void rmsnorm_forward(const float* x, const float* weight, int64_t n, int64_t c, float eps, float* y,
                     float* rstd);
void rmsnorm_backward(const float* dy, const float* x, const float* weight, const float* rstd, int64_t n,
                      int64_t c, float* dx, float* dweight);

}  // namespace ln
