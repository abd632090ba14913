#pragma once
// Plain-loop twin of kernels/causal_conv.hpp, accumulating in double, straight from the
// definition (every output and every tap gradient summed on its own).
#include "kernels/causal_conv.hpp"

namespace ln::reference {
void causal_conv_forward(const float* x, const float* taps, const CausalConvShape& s, float* y);
void causal_conv_backward(const float* x, const float* taps, const float* dy, const CausalConvShape& s,
                          float* dx, float* dtaps);
}  // namespace ln::reference
