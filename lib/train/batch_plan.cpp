#include "train/batch_plan.hpp"

#include "core/error.hpp"

namespace ln {

BatchPlan plan_batch(int64_t seq_len, int64_t batch_sequences, int64_t batch_tokens, int64_t micro_batch) {
  LN_CHECK(seq_len > 0, "[batch] sequence length is ", seq_len, "; use at least 1 token");
  LN_CHECK((batch_sequences > 0) != (batch_tokens > 0), "[batch] give the batch size either in sequences (",
           batch_sequences, ") or in tokens (", batch_tokens, "), exactly one of them > 0");
  int64_t sequences = batch_sequences;
  if (batch_tokens > 0) {
    const int64_t lower = batch_tokens / seq_len * seq_len;
    LN_CHECK(batch_tokens % seq_len == 0, "[batch] a batch of ", batch_tokens,
             " tokens is not a whole number of ", seq_len, "-token sequences; use ",
             lower > 0 ? std::to_string(lower) + " or " : std::string(), lower + seq_len, " tokens");
    sequences = batch_tokens / seq_len;
  }
  BatchPlan plan;
  plan.seq_len = seq_len;
  plan.micro_batch = micro_batch > 0 ? micro_batch : sequences;
  LN_CHECK(plan.micro_batch <= sequences, "[batch] micro-batch of ", plan.micro_batch,
           " sequences is larger than the batch of ", sequences, " sequences; use at most ", sequences);
  LN_CHECK(sequences % plan.micro_batch == 0, "[batch] the batch of ", sequences,
           " sequences is not a multiple of the micro-batch of ", plan.micro_batch,
           " sequences; use a batch of ", sequences / plan.micro_batch * plan.micro_batch, " or ",
           (sequences / plan.micro_batch + 1) * plan.micro_batch, " sequences, or a micro-batch dividing ",
           sequences);
  plan.accum_steps = sequences / plan.micro_batch;
  return plan;
}

}  // namespace ln
