#pragma once
// Validation loss during training: mean next-token loss over the first `max_batches` batches
// of non-overlapping windows of the validation split (the same windows at every evaluation):
// window k reads tokens [k*T, k*T + T] of the validation documents joined in order.
//
// This is a fixed subset (train.eval_batches x micro-batch windows), reported with its token
// count next to the split's: cheap enough to run every train.eval_every steps.
//
// At the end of training the whole split is scored instead (split_validation_loss), exactly
// as `longnet eval --validation-split` scores it: per source file, the stream EOS + its
// held-out documents, cut into non-overlapping windows of seq_len (the last one shorter),
// every prediction counted once. The two numbers agree to float rounding (a test holds them
// to 1e-6); the periodic subset numbers differ from it by sampling.
//
// sequence (distributed training, DESIGN §4): every rank of the sequence group calls these
// with the same arguments; a window whose length splits over the group
// (check_sequence_split) is scored as P slices, one per rank, and the slices' losses are
// gathered, so no rank holds a whole window and every rank returns the same value, equal to
// one process. A window that does not split (the short last window of a stream) runs whole
// on every rank.
#include <cstdint>

#include "kernels/sequence_exchange.hpp"
#include "nn/language_model.hpp"
#include "train/run_data.hpp"

namespace ln {

struct ValidationResult {
  double loss = 0;           // mean next-token loss in nats (NaN without a validation split)
  int64_t tokens = 0;        // predictions scored
  int64_t split_tokens = 0;  // tokens in the validation split
};

ValidationResult validation_loss(const LanguageModel& model, const RunData& data, int64_t batch,
                                 int64_t seq_len, int64_t max_batches, SequenceExchange* sequence = nullptr);

// The whole validation split, scored like `longnet eval --validation-split` (above).
ValidationResult split_validation_loss(const LanguageModel& model, const RunData& data, int64_t seq_len,
                                       SequenceExchange* sequence = nullptr);

// The token streams that scoring reads: one per source file holding validation documents,
// EOS then those documents in order (eval/validation_split.hpp builds the same).
std::vector<std::vector<int32_t>> validation_streams(const RunData& data);

// The yardstick a model must beat: the validation loss of a unigram model (token
// frequencies of the train split, add-one smoothed). NaN without a validation split.
double unigram_loss(const uint32_t* tokens, const std::vector<TokenRange>& train,
                    const std::vector<TokenRange>& val, int64_t vocab_size);

}  // namespace ln
