#pragma once
// The output head and the next-token loss fused, processed in row chunks so the (N x V)
// logits never exist whole, forward or backward:
//
//   loss = mean over counted rows i of  logsumexp(h_i Wᵀ) - (h_i Wᵀ)[targets_i]
//
// h: (N, C) final hidden states (after the last LayerNorm); W: (V, C) the head weight (the
// tied embedding or output.weight). The forward computes one (chunk x V) block of logits at a
// time and keeps only the per-row log-sum-exp; the backward recomputes each block, turns it
// into dlogits in place and folds it into dh (= dlogits · W) and dW (+= dlogitsᵀ · h). Memory:
// one (chunk x V) block plus N floats, instead of two (N x V) tensors.
// Equals cross_entropy(linear(h, W), targets) up to float summation order (dW sums chunk by
// chunk).
#include <cstdint>
#include <vector>

#include "autograd/var.hpp"

namespace ln {

// Rows per chunk so that one (chunk x V) block of logits stays about 64 MB.
int64_t default_head_chunk(int64_t vocab);

Var head_cross_entropy(const Var& h, const Var& weight, const std::vector<int32_t>& targets,
                       int32_t ignore_index = -1, int64_t chunk = 0);

// Per-row losses without autograd (evaluation): (N) with loss[i] = logsumexp(h_i Wᵀ) -
// (h_i Wᵀ)[targets_i], 0 for ignored rows; the same chunking.
Tensor head_token_losses(const Tensor& h, const Tensor& weight, const std::vector<int32_t>& targets,
                         int32_t ignore_index = -1, int64_t chunk = 0);

// head_token_losses plus each row's most likely token (lowest id on ties: greedy decoding's
// choice), so a caller can tell whether greedy decoding would have produced each target.
struct HeadScores {
  Tensor loss;                  // (N), as head_token_losses
  std::vector<int32_t> argmax;  // (N), for every row, ignored ones included
};
HeadScores head_token_scores(const Tensor& h, const Tensor& weight, const std::vector<int32_t>& targets,
                             int32_t ignore_index = -1, int64_t chunk = 0);

}  // namespace ln
