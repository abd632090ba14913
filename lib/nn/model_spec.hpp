#pragma once
// The shape of a LongNet language model, independent of how it was configured (YAML, a
// checkpoint's state.json, or a test). lib/run (model_builder.hpp) builds it from the config.
#include <cstdint>
#include <string>

#include "kernels/attention/attention_spec.hpp"

namespace ln {

struct ModelSpec {
  int64_t vocab_size = 0;
  int64_t d_model = 256;    // C
  int64_t layers = 4;       // L
  int64_t heads = 4;        // H; head dim D = C / H
  int64_t mlp_ratio = 4;    // MLP hidden width = mlp_ratio * C
  AttentionSpec attention;  // kind, patterns, positions
  bool subln = false;       // MAGNETO: extra LayerNorm inside attention and MLP
  bool tie_embeddings = true;
  // Width K of the short causal convolution over time on each head's keys and values (1: none;
  // DESIGN §8): key t also carries keys t-1 .. t-K+1, so a query can find content far back
  // AND read what followed it, however the dilated pattern's residues fall.
  int64_t kv_conv = 1;
  bool tie_qk_init = false;  // k_proj starts as a copy of q_proj (DESIGN §8)
  float dropout = 0.0f;
  float norm_eps = 1e-5f;
  float init_std = 0.02f;

  int64_t head_dim() const { return d_model / heads; }
  void validate() const;  // throws ln::Error naming the model.* key
};

}  // namespace ln
