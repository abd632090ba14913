#pragma once
// Validation loss during training: mean next-token loss over the first `max_batches` batches
// of non-overlapping windows of the validation split (the same windows at every evaluation):
// window k reads tokens [k*T, k*T + T] of the validation documents joined in order.
//
// This is a fixed subset (train.eval_batches x micro-batch windows), reported with its token
// count next to the split's. `longnet eval --validation-split` scores every validation token,
// file by file, so the two perplexities differ by the subset and the window boundaries; they
// agree in expectation, not to the digit.
#include <cstdint>

#include "nn/language_model.hpp"
#include "train/run_data.hpp"

namespace ln {

struct ValidationResult {
  double loss = 0;           // mean next-token loss in nats (NaN without a validation split)
  int64_t tokens = 0;        // predictions scored
  int64_t split_tokens = 0;  // tokens in the validation split
};

ValidationResult validation_loss(const LanguageModel& model, const RunData& data, int64_t batch, int64_t seq_len,
                                 int64_t max_batches);

// The yardstick a model must beat: the validation loss of a unigram model (token
// frequencies of the train split, add-one smoothed). NaN without a validation split.
double unigram_loss(const uint32_t* tokens, const std::vector<TokenRange>& train,
                    const std::vector<TokenRange>& val, int64_t vocab_size);

}  // namespace ln
