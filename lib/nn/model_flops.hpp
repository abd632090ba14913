#pragma once
// FLOPs of one training step of the language model, counted from its shape (used by
// `longnet flops` and `make paper` to give every model the same training compute).
//
// Counted: every matmul (2 FLOPs per multiply-add) and the attention's score and value
// products. Per token of the forward, for L layers of width C, MLP ratio m, vocabulary V:
//   matmuls   L * 2 * (4 C^2 + 2 m C^2)   q, k, v, out projections and the two MLP layers
//           + 2 C V                         the output head (tied or not)
//   attention 4 D per (query, key) pair a head actually visits, per layer
//             (kernels/attention/attention_kernel.hpp attention_forward_flops: causal mask, segments,
//             dilations and head offsets respected, so dense, sparse and dilated are counted
//             by what they compute, not by their asymptotic formula).
// A training step is the forward plus the backward: the backward of a matmul is 2x its forward
// (the input and the weight gradients); the attention backward is 2.5x its forward (the
// project's convention, as in `longnet bench attention`: it recomputes the scores). So
//   train = 3 * matmul + 3.5 * attention.
// Not counted (each O(C) per token, well under 1% here): embeddings, norms, GELU, softmax and
// loss, the optimizer.
#include <cstdint>

#include "nn/model_spec.hpp"

namespace ln {

struct StepFlops {
  int64_t tokens = 0;         // batch * seq_len
  double matmul_forward = 0;  // the whole step's batch
  double attention_forward = 0;
  double forward() const { return matmul_forward + attention_forward; }
  double train() const { return 3.0 * matmul_forward + 3.5 * attention_forward; }
};

// One optimizer step over `batch` sequences of `seq_len` tokens.
StepFlops training_step_flops(const ModelSpec& spec, int64_t batch, int64_t seq_len);

}  // namespace ln
