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
  float dropout = 0.0f;
  float norm_eps = 1e-5f;
  float init_std = 0.02f;

  int64_t head_dim() const { return d_model / heads; }
  void validate() const;  // throws ln::Error naming the model.* key
};

}  // namespace ln
