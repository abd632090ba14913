#pragma once
// The attention layer's three input projections as ONE product:
//   [q | k | v] = x · [Wq; Wk; Wv]ᵀ + [bq; bk; bv]        (rows, 3·C_out), one GEMM
// then each third split into heads exactly as ops/linear_heads.hpp does (q and k rotated when
// asked, v never). The weights stay three separate parameters (names, init, checkpoints and the
// optimizer see no change); the op stacks them per call (3·C_out·C_in floats, cheap).
//
// Why: on a d256 model each projection alone is a (rows x 256) x (256 x 256) GEMM, a shape
// oneDNN runs well below its rate; N = 3C in the forward, K = 3C in dx (which also sums the
// three input gradients inside the GEMM instead of two extra (rows x C) adds) and M = 3C in dW
// run faster (`longnet bench matmul`).
//
// Three outputs from one op: the autograd records one result per node (autograd/var.hpp), so
// the op records a hidden one-element "hub" node whose inputs are x and the six parameters, and
// q, k, v as three nodes on top of it. Each of their vjps writes its gradient into its third of
// one shared (rows, 3·C_out) buffer and hands the hub a one-element zero; the topological walk
// runs the hub after all three (it is their common input), and the hub's vjp runs the fused
// products. q, k and v are separate values, freed separately when their last handle goes, and
// nothing big is copied twice. Consequences: one backward pass serves all three outputs (a
// second backward() from another of them is refused, as for any graph already used), and a
// projection whose output got no gradient gets a zero weight gradient, not none.
#include <cstdint>

#include "autograd/var.hpp"

namespace ln {

struct QkvHeads {
  Var q, k, v;  // each (B, H, T, D)
};

// x: (B, T, C_in); wq, wk, wv: (H*D, C_in); bq, bk, bv: (H*D,), all three or none defined.
// With `rotate`, q and k are rotated for global positions position_offset + t (RoPE / XPOS's
// rotation, base rope_base), as linear_heads(..., rotate) does; v is not. The precision is
// ops/precision.hpp's: under bf16, one bf16 copy of x and of the stacked weight, kept for the vjp.
QkvHeads linear_qkv(const Var& x, const Var& wq, const Var& wk, const Var& wv, const Var& bq, const Var& bk,
                    const Var& bv, int64_t heads, bool rotate = false, int64_t position_offset = 0,
                    float rope_base = 10000.0f);

}  // namespace ln
