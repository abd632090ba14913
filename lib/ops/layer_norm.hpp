#pragma once
#include "autograd/var.hpp"

namespace ln {

// Over the last dim. x: (..., C); weight: (C); bias: (C) or an undefined Var (no bias).
// Saves mean and rstd per row; the backward is one fused kernel pass.
Var layer_norm(const Var& x, const Var& weight, const Var& bias, float eps = 1e-5f);
// y = x / sqrt(mean(x^2) + eps) * weight over the last dim. weight: (C).
Var rms_norm(const Var& x, const Var& weight, float eps = 1e-6f);

}  // namespace ln
