#pragma once
// attention: the differentiable attention op every model layer calls (DESIGN §2).
#include <cstdint>

#include "autograd/var.hpp"
#include "kernels/attention/attention_spec.hpp"

namespace ln {

// q, k, v: (B, H, T, D) fp32 -> (B, H, T, D).
// Rotates q and k (RoPE, or XPOS's rotation, per spec.positions) with global positions
// position_offset + t, then runs the kernel of spec.kind with scale 1/sqrt(D) (XPOS's decay is
// applied inside the kernel, per pattern). The T rows are the global positions
// [position_offset, position_offset + T): segments are laid out on global positions, and keys
// before position_offset are simply absent. Differentiable in q, k and v (the exact gradient).
// With `rotated_inputs`, q and k arrive already rotated (ops/linear_qkv.hpp rotates them as
// it projects, so the unrotated copies never exist): the op skips the rotation and its
// inverse in the vjp, and only XPOS's decay (in the kernel) still reads spec.positions.
Var attention(const Var& q, const Var& k, const Var& v, const AttentionSpec& spec,
              int64_t position_offset = 0, bool rotated_inputs = false);

}  // namespace ln
