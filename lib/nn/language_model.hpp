#pragma once
// The LongNet decoder-only language model (the computation is documented in README.md,
// "Model", so another tool can reproduce it from model.safetensors):
//
//   x0 = tok_embeddings.weight[ids]                                   (B, T, C)
//   x_{l+1} = TransformerBlock_l(x_l)        for l = 0 .. L-1         (see transformer_block.hpp)
//   logits = LayerNorm_norm(x_L) · Wᵀ,  W = tok_embeddings.weight (tied) or output.weight
//
// Parameter names are stable: tok_embeddings.weight, layers.{l}.attn_norm.{weight,bias},
// layers.{l}.attn.{q,k,v,out}_proj.{weight,bias}, [layers.{l}.attn.inner_norm.*],
// layers.{l}.mlp_norm.*, layers.{l}.mlp.fc1.*, [layers.{l}.mlp.inner_norm.*], layers.{l}.mlp.fc2.*,
// norm.{weight,bias}, [output.weight].
#include <cstdint>
#include <vector>

#include "nn/layers.hpp"
#include "nn/model_spec.hpp"
#include "nn/transformer_block.hpp"
#include "ops/head_loss.hpp"

namespace ln {

class LanguageModel {
 public:
  // Initialised from `seed`: N(0, init_std) for linear and embedding weights, GPT-2's
  // residual scaling init_std / sqrt(2L) for out_proj and fc2, zero biases, unit norms.
  // With subln, MAGNETO's scaling: v_proj, out_proj, fc1 and fc2 weights are multiplied by
  // sqrt(log(2L)) instead (Wang et al. 2022, "Foundation Transformers").
  LanguageModel(const ModelSpec& spec, uint64_t seed);

  // ids: (B, T) row-major -> logits (B*T, V)
  Var logits(const std::vector<int32_t>& ids, int64_t B, int64_t T, const ForwardOptions& options = {}) const;
  // Mean next-token cross entropy; targets (B, T), entries equal to `ignore_index` not scored.
  // The head and the loss are fused and chunked (ops/head_loss.hpp): no (B*T, V) logits.
  Var loss(const std::vector<int32_t>& ids, const std::vector<int32_t>& targets, int64_t B, int64_t T,
           const ForwardOptions& options = {}, int32_t ignore_index = -1) const;

  // Per-token losses (B*T) without autograd (evaluation): the head and the loss run in row
  // chunks (ops/head_loss.hpp), so the (B*T, V) logits never exist; 0 for ignored targets.
  Tensor token_losses(const std::vector<int32_t>& ids, const std::vector<int32_t>& targets, int64_t B,
                      int64_t T, const ForwardOptions& options = {}, int32_t ignore_index = -1) const;
  // token_losses plus each row's most likely token (greedy decoding's choice); for probes
  // that ask whether greedy decoding would have produced the targets.
  HeadScores token_scores(const std::vector<int32_t>& ids, const std::vector<int32_t>& targets, int64_t B,
                          int64_t T, const ForwardOptions& options = {}, int32_t ignore_index = -1) const;
  // The head weight (V, C): the tied embedding or output.weight.
  const Var& head_weight() const { return spec_.tie_embeddings ? tok_embeddings_.weight : output_.weight; }

  // Generation (nn/decode.cpp). prefill: the forward of one sequence of T tokens, returning only
  // the last position's logits (V); options.kv_observer sees every layer's k, v.
  Tensor prefill(const std::vector<int32_t>& ids, const ForwardOptions& options) const;
  // The logits (V) after token `id` at global `position`, each layer's attention given by `attend`.
  Tensor decode_step(int32_t id, int64_t position, DecodeAttention& attend) const;

  const ModelSpec& spec() const { return spec_; }
  NamedParameters parameters() const;  // in a fixed, documented order
  int64_t parameter_count() const;
  // The parameter count a spec gives, without allocating the model.
  static int64_t count_parameters(const ModelSpec& spec);
  // The current values by name (shared buffers), for checkpoints.
  std::vector<std::pair<std::string, Tensor>> named_tensors() const;
  // Copies values in by name; every parameter must be present with its exact shape.
  void load_parameters(const std::vector<std::pair<std::string, Tensor>>& tensors, const std::string& source);

 private:
  Var hidden(const std::vector<int32_t>& ids, int64_t B, int64_t T, const ForwardOptions& options) const;

  ModelSpec spec_;
  Embedding tok_embeddings_;
  std::vector<TransformerBlock> layers_;
  LayerNorm norm_;
  Linear output_;  // untied head only
};

}  // namespace ln
