#pragma once
// Gradient accumulation: how one optimizer step's batch is cut into micro-batches.
//
// The batch is given either in sequences or in tokens (tokens = sequences * T); a
// micro-batch is what one forward/backward pass holds. An optimizer step then accumulates
// accum_steps micro-batches' gradients (autograd sums them into grad()), and the mean over
// the batch is obtained by dividing each micro-batch loss by accum_steps, or equivalently by
// scale_grads(params, 1.0 / accum_steps) once before clipping (lib/train/grad_clip.hpp).
#include <cstdint>

namespace ln {

struct BatchPlan {
  int64_t seq_len = 0;      // T
  int64_t micro_batch = 0;  // sequences per forward/backward pass
  int64_t accum_steps = 0;  // micro-batches per optimizer step
  int64_t sequences() const { return micro_batch * accum_steps; }
  int64_t tokens() const { return sequences() * seq_len; }
};

// Exactly one of batch_sequences / batch_tokens must be > 0 (the other 0). batch_tokens must
// be a multiple of seq_len. micro_batch <= 0 means "the whole batch in one pass"; otherwise
// it must divide the batch's sequence count. Errors name the values and suggest valid ones.
BatchPlan plan_batch(int64_t seq_len, int64_t batch_sequences, int64_t batch_tokens, int64_t micro_batch);

}  // namespace ln
