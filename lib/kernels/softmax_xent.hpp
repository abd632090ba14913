#pragma once
// Row softmax and fused softmax + cross-entropy (log-softmax + NLL) over the last dimension.
// Every row is computed by one thread with max-subtraction (stable for any finite logits;
// -inf logits give probability 0). No N x V temporaries: the backward writes dlogits only.
#include <cstdint>

namespace ln {

// x, y: (N, C).
void softmax_forward(const float* x, int64_t n, int64_t c, float* y);
// dx = y * (dy - sum_j dy_j y_j); dx may alias dy.
void softmax_backward(const float* y, const float* dy, int64_t n, int64_t c, float* dx);

// logits: (N, V), targets: (N). row_lse[i] = logsumexp(logits[i]); row_loss[i] =
// row_lse[i] - logits[i, targets[i]], or 0 where targets[i] == ignore. Either output may be
// null. Throws ln::Error for a target outside [0, V) that is not `ignore`.
void softmax_xent_forward(const float* logits, const int32_t* targets, int64_t n, int64_t v, int32_t ignore,
                          float* row_loss, float* row_lse);
// dlogits[i, j] = d_row_loss[i] * (softmax(logits[i])_j - [j == targets[i]]), 0 for ignored
// rows. row_lse from the forward. dlogits may alias logits (computed in place).
void softmax_xent_backward(const float* logits, const int32_t* targets, const float* row_lse,
                           const float* d_row_loss, int64_t n, int64_t v, int32_t ignore, float* dlogits);

}  // namespace ln
