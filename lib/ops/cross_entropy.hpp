#pragma once
#include <cstdint>
#include <vector>

#include "autograd/var.hpp"

namespace ln {

// Mean next-token loss. logits: (N, V) f32 (or (..., V), flattened to N rows); targets: (N).
// Rows whose target is ignore_index do not count; with no counted rows the loss is 0 and
// the gradient is 0. Fused stable log-softmax + NLL; saves only the per-row logsumexp, and
// the backward writes dlogits directly (no N x V temporaries besides that gradient).
// For per-token losses without autograd, call softmax_xent_forward (kernels/softmax_xent.hpp).
Var cross_entropy(const Var& logits, const std::vector<int32_t>& targets, int32_t ignore_index = -1);

// Per-row losses without autograd (evaluation, per-position loss): (N) with
// loss[i] = logsumexp(logits[i]) - logits[i, targets[i]], and 0 for ignored rows.
// Same validation and errors as cross_entropy.
Tensor token_losses(const Tensor& logits, const std::vector<int32_t>& targets, int32_t ignore_index = -1);

}  // namespace ln
