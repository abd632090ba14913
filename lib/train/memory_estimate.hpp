#pragma once
// A conservative estimate of a training run's memory, printed at start and used to refuse a
// configuration that cannot fit before anything large is allocated.
#include <cstdint>
#include <string>

#include "nn/model_spec.hpp"

namespace ln {

struct MemoryEstimate {
  int64_t parameters = 0;       // count
  uint64_t weights_bytes = 0;   // fp32 weights
  uint64_t grads_bytes = 0;     // fp32 gradients
  uint64_t optimizer_bytes = 0; // AdamW: two fp32 moments
  uint64_t activations_bytes = 0;  // saved for backward, one micro-batch
  uint64_t total() const { return weights_bytes + grads_bytes + optimizer_bytes + activations_bytes; }
  std::string table() const;  // human-readable lines
};

// micro_batch sequences of seq_len tokens per forward/backward pass.
MemoryEstimate estimate_training_memory(const ModelSpec& spec, int64_t parameters, int64_t micro_batch,
                                        int64_t seq_len);

// Throws ln::Error when the estimate exceeds `fraction` of the machine's memory.
void check_fits_in_memory(const MemoryEstimate& estimate, double fraction = 0.9);

}  // namespace ln
