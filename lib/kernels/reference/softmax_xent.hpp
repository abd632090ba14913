#pragma once
// Plain-loop twins of kernels/softmax_xent.hpp (libm exp/log in double).
#include <cstdint>

namespace ln::reference {
void softmax_forward(const float* x, int64_t n, int64_t c, float* y);
void softmax_backward(const float* y, const float* dy, int64_t n, int64_t c, float* dx);
void softmax_xent_forward(const float* logits, const int32_t* targets, int64_t n, int64_t v, int32_t ignore,
                          float* row_loss, float* row_lse);
void softmax_xent_backward(const float* logits, const int32_t* targets, const float* row_lse,
                           const float* d_row_loss, int64_t n, int64_t v, int32_t ignore, float* dlogits);
}  // namespace ln::reference
