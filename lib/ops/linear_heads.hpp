#pragma once
// A projection straight into the attention layout, as one op:
//   y = transpose(reshape(x · weightᵀ + bias, (B, T, H, D)), 1, 2)        -> (B, H, T, D)
// Same numbers as linear() then transpose() (the same GEMM, then a copy), but one graph node
// instead of two: the (B, T, C) projection is a temporary, not a value the graph keeps alive
// until backward (3 of the ~8 C-wide tensors per token an attention layer would otherwise
// hold for q, k and v).
#include <cstdint>

#include "autograd/var.hpp"

namespace ln {

// x: (B, T, C_in), weight: (H*D, C_in), bias: (H*D,) or undefined -> (B, H, T, D).
// With `rotate` (RoPE or XPOS's rotation, base rope_base), each head row t is also rotated for
// global position position_offset + t, exactly as ops/attention.cpp would rotate it; pass the
// result to attention(..., rotated_inputs = true).
//
// x_operand: x.value() already made a product operand by matmul_operand(matmul_precision(), ...)
// (ops/precision.hpp), so q, k and v projected from one x share one bf16 copy of it; undefined:
// converted here.
Var linear_heads(const Var& x, const Var& weight, const Var& bias, int64_t heads, bool rotate = false,
                 int64_t position_offset = 0, float rope_base = 10000.0f, const Tensor& x_operand = Tensor());

}  // namespace ln
