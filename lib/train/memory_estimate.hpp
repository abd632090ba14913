#pragma once
// An estimate of a training run's peak memory, printed at start and used to refuse a
// configuration that cannot fit before anything large is allocated. It follows what the
// forward keeps for backward under train.recompute (nn/transformer_block.hpp) and the chunked
// head (ops/head_loss.hpp); `longnet bench train` prints it next to the measured peak RSS.
#include <cstdint>
#include <string>

#include "nn/model_spec.hpp"
#include "nn/transformer_block.hpp"
#include "ops/precision.hpp"

namespace ln {

struct MemoryEstimate {
  int64_t parameters = 0;          // count
  uint64_t weights_bytes = 0;      // fp32 weights
  uint64_t grads_bytes = 0;        // fp32 gradients
  uint64_t optimizer_bytes = 0;    // AdamW: two fp32 moments
  uint64_t activations_bytes = 0;  // peak of what forward keeps plus backward's transient, one micro-batch
  uint64_t runtime_bytes = 0;      // the process (code, threads, token buffers), tensor pool slack
  uint64_t total() const {
    return weights_bytes + grads_bytes + optimizer_bytes + activations_bytes + runtime_bytes;
  }
  std::string table() const;  // human-readable lines
};

// Floats per token the activations peak at, for one layer kept for backward (`kept`) and the
// largest transient of forward or backward (`transient`, counted once), under `recompute`.
struct ActivationFloats {
  double kept_per_layer = 0;
  double outside_layers = 0;       // embeddings output, final norm, the head's per-row statistics
  double transient = 0;            // one layer's attention phase
  double mlp_phase_per_token = 0;  // what a recomputed block holds while its MLP chunks run
  double mlp_chunk_per_row = 0;    // one MLP chunk's intermediates, per row of the chunk
};
// Under precision bf16 the linear layers keep their inputs as bf16 copies (ops/precision.hpp):
// half a float each where oneDNN multiplies bf16 (the rounded-fp32 fallback saves nothing).
ActivationFloats activation_floats(const ModelSpec& spec, Recompute recompute,
                                   Precision precision = Precision::fp32);

// micro_batch sequences of seq_len tokens per forward/backward pass.
MemoryEstimate estimate_training_memory(const ModelSpec& spec, int64_t parameters, int64_t micro_batch,
                                        int64_t seq_len, Recompute recompute = Recompute::none,
                                        int64_t mlp_chunk = ForwardOptions{}.mlp_chunk,
                                        Precision precision = Precision::fp32);

// Sequence parallelism (DESIGN §4), per rank of P holding `rows` rows of T / P tokens: the long
// patterns' gathered keys and values (the busiest rank, the last of its segments: G pieces of
// rows*H*(l/r)*D floats, k and v), kept for the backward in every layer under recompute none and
// in one layer otherwise, plus one layer's exchange buffers in flight; and, when the sampler
// builds rows whole (a retrieval mixture), one row of T + 1 tokens. Adds to e.
void add_sequence_parallel_memory(MemoryEstimate& e, const ModelSpec& spec, int64_t rows, int64_t T,
                                  int64_t P, Recompute recompute, bool whole_rows);

// Throws ln::Error when the estimate exceeds `fraction` of the machine's memory.

// `remedies` leads the advice (e.g. the recompute or precision that would fit), before the
// batch, length and size it always names.
void check_fits_in_memory(const MemoryEstimate& estimate, double fraction = 0.9,
                          const std::string& remedies = "");

}  // namespace ln
