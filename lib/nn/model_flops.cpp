#include "nn/model_flops.hpp"

#include "core/error.hpp"
#include "kernels/attention/attention_kernel.hpp"

namespace ln {

StepFlops training_step_flops(const ModelSpec& spec, int64_t batch, int64_t seq_len) {
  LN_CHECK(batch >= 1 && seq_len >= 1, "[flops] batch ", batch, " and seq_len ", seq_len,
           " must both be >= 1");
  StepFlops f;
  f.tokens = batch * seq_len;
  const double C = static_cast<double>(spec.d_model), m = static_cast<double>(spec.mlp_ratio);
  const double A = static_cast<double>(spec.attention_width());  // q, k, v: C -> A; out: A -> C
  const double per_token = static_cast<double>(spec.layers) * 2.0 * (4.0 * C * A + 2.0 * m * C * C) +
                           2.0 * C * static_cast<double>(spec.vocab_size);
  f.matmul_forward = per_token * static_cast<double>(f.tokens);

  AttentionDims dims;
  dims.batch = batch;
  dims.heads = spec.heads;
  dims.q_len = dims.k_len = seq_len;
  dims.head_dim = spec.head_dim();
  f.attention_forward = static_cast<double>(spec.layers) * attention_forward_flops(spec.attention, dims);
  return f;
}

}  // namespace ln
