#pragma once
// Matrix products as differentiable ops, on the oneDNN kernel (kernels/matmul_dnnl.hpp).
//
// Both are f32 only (bf16 tensors are refused with a message). They call oneDNN, so — like
// the kernel — they must run on the main thread, not inside TBB tasks.
#include "autograd/var.hpp"

namespace ln {

// a: (..., M, K), b: (..., K, N) with the same leading (batch) dims, or b: (K, N) shared by
// every batch item  ->  (..., M, N).
// Backward: da = dy · bᵀ, db = aᵀ · dy (for a 2-D b: summed over the batch as one GEMM
// over the flattened (batch·M, K) rows of a).
Var matmul(const Var& a, const Var& b);

// x: (..., C_in), weight: (C_out, C_in) like PyTorch's nn.Linear, bias: (C_out,) or an
// undefined Var  ->  y = x · weightᵀ + bias: (..., C_out).
// Backward, with every leading dim of x flattened into R rows: dx = dy · weight,
// dweight = dyᵀ · x (one (C_out, R)·(R, C_in) GEMM), dbias = column sums of dy.
Var linear(const Var& x, const Var& weight, const Var& bias = Var());

}  // namespace ln
