#pragma once
// Validation loss during training: mean next-token loss over the first `max_batches`
// non-overlapping windows of the validation split (the same windows at every evaluation).
#include <cstdint>

#include "kernels/sequence_exchange.hpp"
#include "nn/language_model.hpp"
#include "train/run_data.hpp"

namespace ln {

// sequence (distributed training): every rank of the group calls it; each runs its slice of
// the validation windows (seq_len / P tokens) and the group's mean is gathered, so no rank
// ever holds a whole sequence. Same value on every rank.
double validation_loss(const LanguageModel& model, const RunData& data, int64_t batch, int64_t seq_len,
                       int64_t max_batches, SequenceExchange* sequence = nullptr);

// The yardstick a model must beat: the validation loss of a unigram model (token
// frequencies of the train split, add-one smoothed). NaN without a validation split.
double unigram_loss(const uint32_t* tokens, const std::vector<TokenRange>& train,
                    const std::vector<TokenRange>& val, int64_t vocab_size);

}  // namespace ln
