#include "train/memory_estimate.hpp"

#include <algorithm>
#include <cstdio>

#include "core/error.hpp"
#include "core/memory_stats.hpp"
#include "core/number_format.hpp"
#include "ops/head_loss.hpp"

namespace ln {

ActivationFloats activation_floats(const ModelSpec& spec, Recompute recompute, Precision precision) {
  // Counted from the ops in transformer_block.cpp, per token, in floats. What one layer's plain
  // forward leaves for the backward is what the vjps saved (autograd/var.hpp frees the rest):
  // the attention input a, q, k, v (linear_qkv: no separate projection copies, q and k
  // rotated in place), the attention output and its merged copy, [sub-LN output], the residual
  // sum h, the MLP input and the block output; the MLP hidden (F = mlp_ratio*C) twice (fc1,
  // GELU) [+ sub-LN]; H log-sum-exps; with dropout, two dropped copies. The out_proj and MLP
  // outputs feed only a residual add, which saves nothing: they are freed.
  const double C = static_cast<double>(spec.d_model), H = static_cast<double>(spec.heads);
  const double A = static_cast<double>(spec.attention_width());  // q, k, v width (model.head_dim)
  const double F = static_cast<double>(spec.mlp_ratio * spec.d_model);
  const double sub = spec.subln ? 1 : 0;
  const double drop = spec.dropout > 0 ? 2 : 0;
  // The attention sub-layer alone (a kept outside it): q, k, v (rotated as they are made, no
  // copies), output, merged, sub-LN (its out_proj output is freed at once), plus its
  // backward's gradients (dq, dk, dv and the one flowing in; sums of gradients in place).
  // With model.kv_conv, the convolution keeps its raw k and v inputs too (and q's with model.q_conv).
  const double conv = spec.kv_conv > 1 ? 2 + (spec.q_conv ? 1 : 0) : 0;
  const double attention_live = (3 + conv + 1 + 1 + sub) * A + H;
  const double attention_grads = 4 * A;
  ActivationFloats f;
  f.outside_layers = 2 * C + 2;         // embeddings output, final norm output; lse and row loss
  f.mlp_chunk_per_row = (4 + sub) * F;  // GELU out and dy/dx, then the grads of both [+ sub-LN out]
  switch (recompute) {
    case Recompute::none:
      // a, h, m, block out; the attention sub-layer's values but its out_proj output.
      f.kept_per_layer = (4 + drop) * C + attention_live + (2 + sub) * F;
      // bf16: the four linear inputs (a, merged or its sub-LN, m, GELU or its sub-LN) are kept
      // only as the bf16 copies their products took.
      if (precision == Precision::bf16 && matmul_bf16_supported()) f.kept_per_layer -= 0.5 * (2 * C + A + F);
      f.transient = 4 * C;  // backward's first gradients (dh, d_out, d_residual)
      f.mlp_chunk_per_row = 0;
      break;
    case Recompute::attention:
      // a (the recompute's input), h, the MLP input (the MLP chunks' input) and the block output.
      f.kept_per_layer = (4 + drop) * C;
      // By the time backward recomputes a layer's attention, that layer's h, MLP input, MLP
      // output and block output (4C) are freed already.
      f.transient = attention_live + attention_grads - 4 * C;
      f.mlp_phase_per_token = 2 * C;  // the gradients flowing past the MLP
      break;
    case Recompute::blocks:
      // Only the block output; backward rebuilds one block: during its MLP's recompute the
      // block holds a, h and the MLP input (+ gradients); during its attention's recompute, a
      // and one gradient besides the sub-layer itself (h went with the MLP norm's backward).
      f.kept_per_layer = C;
      f.transient = (2 + drop) * C + attention_live + attention_grads;
      f.mlp_phase_per_token = (7 + drop) * C;
      break;
  }
  return f;
}

MemoryEstimate estimate_training_memory(const ModelSpec& spec, int64_t parameters, int64_t micro_batch,
                                        int64_t seq_len, Recompute recompute, int64_t mlp_chunk,
                                        Precision precision) {
  MemoryEstimate e;
  e.parameters = parameters;
  const uint64_t p = static_cast<uint64_t>(parameters);
  e.weights_bytes = 4 * p;
  e.grads_bytes = 4 * p;
  e.optimizer_bytes = 8 * p;
  const ActivationFloats f = activation_floats(spec, recompute, precision);
  const double tokens = static_cast<double>(micro_batch) * static_cast<double>(seq_len);
  const double V = static_cast<double>(spec.vocab_size), C = static_cast<double>(spec.d_model);
  const double kept = tokens * (static_cast<double>(spec.layers) * f.kept_per_layer + f.outside_layers);
  // The peak is what the forward keeps plus the largest of three phases, which never overlap:
  // one layer's attention (recomputed or not), one MLP chunk, and the head's backward with its
  // (chunk x V) logits block (ops/head_loss.cpp, ~64 MB at most) and dh.
  const double head_rows = std::min(tokens, static_cast<double>(default_head_chunk(spec.vocab_size)));
  const double mlp_rows = std::min(tokens, static_cast<double>(mlp_chunk));
  const double attention_phase = tokens * f.transient;
  const double mlp_phase = tokens * f.mlp_phase_per_token + mlp_rows * f.mlp_chunk_per_row;
  const double head_phase = head_rows * V + tokens * 2 * C;
  e.activations_bytes =
      static_cast<uint64_t>(4 * (kept + std::max({attention_phase, mlp_phase, head_phase})));
  // The process before any tensor (libraries, thread pools, oneDNN's kernels), the trainer's
  // token buffers, and the tensor pool's slack (core/tensor_pool.hpp): blocks idle at the peak
  // because their size class peaks at another moment. Measured with `longnet bench train`
  // (T = 8K..64K, recompute none and blocks): peak RSS is the live tensors' peak plus 70-200 MB.
  const double pool_slack = 0.05 * static_cast<double>(e.activations_bytes);
  e.runtime_bytes = (uint64_t{64} << 20) + static_cast<uint64_t>(16 * tokens + pool_slack);
  return e;
}

void add_sequence_parallel_memory(MemoryEstimate& e, const ModelSpec& spec, int64_t rows, int64_t T,
                                  int64_t P, Recompute recompute, bool whole_rows) {
  if (P <= 1) return;
  const int64_t l = T / P;
  double gathered = 0;  // floats, one layer
  for (size_t p = 0; p < spec.attention.segments.size(); ++p) {
    const int64_t w = std::min(spec.attention.segments[p], T), r = spec.attention.dilations[p];
    if (w <= l) continue;
    const double G = static_cast<double>(std::min(w / l, P));
    gathered += 2 * G * static_cast<double>(rows * spec.heads * (l / r) * spec.head_dim());
  }
  const double layers_kept = recompute == Recompute::none ? static_cast<double>(spec.layers) : 1.0;
  // Kept ones, plus one layer's received pieces and its own pieces in flight (forward) or the
  // pieces going back (backward): about twice one layer's gathered keys.
  e.activations_bytes += static_cast<uint64_t>(4 * gathered * (layers_kept + 2));
  if (whole_rows) e.runtime_bytes += static_cast<uint64_t>(4 * (T + 1));
}

std::string MemoryEstimate::table() const {
  std::string out;
  out += "  parameters   " + std::to_string(parameters) + " (" + format_gib(weights_bytes) + ")\n";
  out += "  gradients    " + format_gib(grads_bytes) + "\n";
  out += "  optimizer    " + format_gib(optimizer_bytes) + " (AdamW moments)\n";
  out += "  activations  " + format_gib(activations_bytes) + " (one micro-batch)\n";
  out += "  runtime      " + format_gib(runtime_bytes) + " (process, token buffers, tensor pool slack)\n";
  out += "  total        " + format_gib(total()) + " of " + format_gib(total_ram_bytes()) + " RAM\n";
  return out;
}

void check_fits_in_memory(const MemoryEstimate& estimate, double fraction, const std::string& remedies) {
  const uint64_t ram = total_ram_bytes();
  LN_CHECK(static_cast<double>(estimate.total()) <= fraction * static_cast<double>(ram),
           "this configuration needs about ", format_gib(estimate.total()), " (activations ",
           format_gib(estimate.activations_bytes), ") but the machine has ", format_gib(ram), "; ", remedies,
           "reduce train.batch_size (or raise train.grad_accum), data.seq_len, or the model size");
}

}  // namespace ln
