#pragma once
// sequence_parallel_attention: the attention op of one rank of a sequence group (DESIGN §4),
// differentiable, equal to the single-process `attention` over the whole sequence.
#include <cstdint>

#include "autograd/var.hpp"
#include "kernels/attention/attention_spec.hpp"
#include "kernels/sequence_exchange.hpp"

namespace ln {

// q, k, v: (B, H, l, D), this rank's slice [R*l, (R+1)*l) of sequences of N = P*l positions
// (R = exchange.rank(), P = exchange.ranks()). Patterns with w' = min(w, N) <= l run on the
// rank's own rows; for w' > l each rank sparsifies its own k/v by head offset, gathers those of
// its segment group (causal: from the segment's first rank up to itself) and attends with
// global positions. The backward returns the gathered keys' gradients by reduce-scatter.
// Only kind dilated; l must be a multiple of every r, of every w' <= l, and divide every w' > l.
// Every rank of the group must call it with the same shapes, in the same order.
// With `rotated_inputs`, q and k arrive already rotated for their global positions R*l + t
// (ops/linear_qkv.hpp with position_offset R*l): the op skips the rotation and its inverse
// in the vjp, as attention(..., rotated_inputs) does.
Var sequence_parallel_attention(const Var& q, const Var& k, const Var& v, const AttentionSpec& spec,
                                SequenceExchange& exchange, bool rotated_inputs = false);

// Throws ln::Error, one line naming the config keys, when `spec` cannot be split into P slices
// of a sequence of N tokens (see above). Callers check this once before training starts.
void check_sequence_split(const AttentionSpec& spec, int64_t seq_len, int64_t ranks);

}  // namespace ln
