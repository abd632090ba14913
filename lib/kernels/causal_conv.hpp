#pragma once
// The short causal convolution over time of each head's keys and values (model.kv_conv,
// DESIGN §8), and with model.q_conv its queries: a depthwise filter of width K whose centre tap
// is fixed at 1,
//   y[b, h, t, d] = x[b, h, t, d] + Σ_{s=1..K-1} taps[s-1, h*D + d] · x[b, h, t-s, d]
// with x = 0 before the sequence start (t - s < 0). x, y: (B, H, T, D) contiguous; taps:
// (K-1, H*D). Deterministic for a shape (kernels/parallel.hpp's rule): dtaps are reduced in
// fixed chunks of (b, h) rows, combined in chunk order.
#include <cstdint>

namespace ln {

struct CausalConvShape {
  int64_t B = 1, H = 1, T = 1, D = 1, K = 1;
};

void causal_conv_forward(const float* x, const float* taps, const CausalConvShape& s, float* y);
// dx = dy + Σ_s taps[s-1] · dy[t+s]; dtaps[s-1, c] = Σ_{b,t} dy[t] · x[t-s]. Either output may
// be null (not wanted); dx must not alias dy.
void causal_conv_backward(const float* x, const float* taps, const float* dy, const CausalConvShape& s,
                          float* dx, float* dtaps);

}  // namespace ln
