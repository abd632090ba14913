#pragma once
// Validation loss during training: mean next-token loss over the first `max_batches`
// non-overlapping windows of the validation split (the same windows at every evaluation).
#include <cstdint>

#include "nn/language_model.hpp"
#include "train/run_data.hpp"

namespace ln {

double validation_loss(const LanguageModel& model, const RunData& data, int64_t batch, int64_t seq_len,
                       int64_t max_batches);

}  // namespace ln
