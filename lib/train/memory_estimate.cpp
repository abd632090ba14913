#include "train/memory_estimate.hpp"

#include <cstdio>

#include "core/error.hpp"
#include "core/memory_stats.hpp"

namespace ln {

namespace {
std::string gib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(bytes) / (1ull << 30));
  return buf;
}
}  // namespace

MemoryEstimate estimate_training_memory(const ModelSpec& spec, int64_t parameters, int64_t micro_batch,
                                        int64_t seq_len) {
  MemoryEstimate e;
  e.parameters = parameters;
  const uint64_t p = static_cast<uint64_t>(parameters);
  e.weights_bytes = 4 * p;
  e.grads_bytes = 4 * p;
  e.optimizer_bytes = 8 * p;
  // Saved activations per token and layer, in floats, counted from the ops in
  // transformer_block.cpp: residual input and two LayerNorm outputs (3C), q/k/v before and
  // after the head transpose plus positions (~9C), attention output, log-sum-exp and its
  // transposed copy (~3C + H), out_proj input (C), MLP fc1 output and GELU output (2·r·C),
  // with subln one more hidden copy. The logits and their gradient add 2V per token.
  const uint64_t C = spec.d_model, V = spec.vocab_size, H = spec.heads, r = spec.mlp_ratio;
  const uint64_t per_layer = 16 * C + H + (2 + (spec.subln ? 1 : 0)) * r * C;
  const uint64_t tokens = static_cast<uint64_t>(micro_batch) * seq_len;
  e.activations_bytes = 4 * tokens * (spec.layers * per_layer + 2 * V + 2 * C);
  return e;
}

std::string MemoryEstimate::table() const {
  std::string out;
  out += "  parameters   " + std::to_string(parameters) + " (" + gib(weights_bytes) + ")\n";
  out += "  gradients    " + gib(grads_bytes) + "\n";
  out += "  optimizer    " + gib(optimizer_bytes) + " (AdamW moments)\n";
  out += "  activations  " + gib(activations_bytes) + " (one micro-batch)\n";
  out += "  total        " + gib(total()) + " of " + gib(total_ram_bytes()) + " RAM\n";
  return out;
}

void check_fits_in_memory(const MemoryEstimate& estimate, double fraction) {
  const uint64_t ram = total_ram_bytes();
  LN_CHECK(static_cast<double>(estimate.total()) <= fraction * static_cast<double>(ram),
           "this configuration needs about ", gib(estimate.total()), " (activations ",
           gib(estimate.activations_bytes), ") but the machine has ", gib(ram),
           "; reduce train.batch_size (or raise train.grad_accum), data.seq_len, or the model size");
}

}  // namespace ln
