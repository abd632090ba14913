#pragma once
// causal_conv: the differentiable short causal convolution over time (kernels/causal_conv.hpp)
// that model.kv_conv applies to each head's keys and values, and model.q_conv to its queries
// (DESIGN §8).
#include "autograd/var.hpp"

namespace ln {

// x: (B, H, T, D) fp32; taps: (K-1, H*D), K >= 2 ->
//   y[b, h, t] = x[b, h, t] + Σ_{s=1..K-1} taps[s-1, h-th D columns] ⊙ x[b, h, t-s]   (0 before t = 0)
// Differentiable in x and taps.
Var causal_conv(const Var& x, const Var& taps);

}  // namespace ln
