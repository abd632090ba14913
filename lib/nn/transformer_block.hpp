#pragma once
// One pre-LayerNorm transformer block of the LongNet decoder:
//   x = x + Dropout(Attention(LN(x)))      attention: dilated | dense | sparse, positions inside
//   x = x + Dropout(Mlp(LN(x)))            Mlp: fc1 (C -> mlp_ratio*C), GELU, fc2
// With MAGNETO's sub-LayerNorm (`subln`), the attention output (before out_proj) and the MLP
// hidden activation (before fc2) get their own LayerNorm too.
#include <cstdint>
#include <functional>
#include <string>

#include "nn/layers.hpp"
#include "nn/model_spec.hpp"
#include "nn/recompute.hpp"
#include "ops/precision.hpp"

namespace ln {

class SequenceExchange;  // kernels/sequence_exchange.hpp

// Recompute (what the training forward keeps for backward): nn/recompute.hpp.

struct ForwardOptions {
  int64_t position_offset = 0;  // global position of the first token (generation, eval windows)
  bool train = false;           // dropout on
  uint64_t dropout_seed = 0;    // with `train`: a pure function of (run seed, step, micro-step)
  // Generation's prompt pass: when set, every attention layer calls it once, in layer order,
  // with its k and v: (B, H, T, D), before positions are applied (lib/generate fills its cache).
  // With model.kv_conv > 1, k and v are the convolution's outputs (what attention reads) and
  // k_in, v_in its inputs (what decoding's ConvHistory needs); otherwise k_in, v_in are k, v.
  // q_in: the raw queries (B, H, T, D), the query convolution's input with model.q_conv
  // (decoding's ConvHistory keeps their last rows too).
  std::function<void(const Tensor& k, const Tensor& v, const Tensor& k_in, const Tensor& v_in,
                     const Tensor& q_in)>
      kv_observer;
  Recompute recompute = Recompute::none;
  // Rows per MLP chunk when the MLP runs in token chunks (recompute != none, or no grad):
  // (chunk x mlp_ratio*C) is the largest MLP intermediate that exists.
  int64_t mlp_chunk = 8192;
  // The linear layers' GEMMs (ops/precision.hpp): fp32, or bf16 with fp32 accumulation.
  Precision precision = Precision::fp32;
  // Sequence parallelism (DESIGN §4): when set with ranks() > 1, the T tokens are this rank's
  // slice [R*T, (R+1)*T) of sequences of P*T tokens and attention runs across the group
  // (position_offset is then ignored: the slice fixes the positions).
  SequenceExchange* sequence = nullptr;
};

class DecodeAttention;  // nn/decode.hpp

class SelfAttention {
 public:
  SelfAttention() = default;
  explicit SelfAttention(const ModelSpec& spec);
  Var operator()(const Var& x, const ForwardOptions& options) const;  // x: (B, T, C) -> (B, T, C)
  void parameters(const std::string& prefix, NamedParameters& out) const;
  // One new token (nn/decode.cpp): x: (1, 1, C) at global `position` -> (1, 1, C).
  Var decode(const Var& x, int64_t layer, int64_t position, DecodeAttention& attend) const;

  Linear q_proj, k_proj, v_proj, out_proj;
  LayerNorm inner_norm;  // subln only
  Var k_conv, v_conv;    // model.kv_conv > 1 only: taps (K-1, A), ops/causal_conv.hpp
  Var q_conv;            // model.q_conv only: taps (K-1, A), the same convolution on the queries
 private:
  AttentionSpec attention_;
  int64_t heads_ = 0;
  bool subln_ = false;
};

class Mlp {
 public:
  Mlp() = default;
  explicit Mlp(const ModelSpec& spec);
  Var operator()(const Var& x) const;  // (B, T, C) -> (B, T, C)
  // The same, in token chunks of `chunk` rows (autograd/activation_recompute.hpp, chunked_rows).
  Var chunked(const Var& x, int64_t chunk) const;
  void parameters(const std::string& prefix, NamedParameters& out) const;

  Linear fc1, fc2;
  LayerNorm inner_norm;  // subln only
 private:
  bool subln_ = false;
};

class TransformerBlock {
 public:
  TransformerBlock() = default;
  TransformerBlock(const ModelSpec& spec, int64_t index);
  Var operator()(const Var& x, const ForwardOptions& options) const;
  void parameters(const std::string& prefix, NamedParameters& out) const;
  // One new token (nn/decode.cpp): x: (1, 1, C) at global `position` -> (1, 1, C).
  Var decode(const Var& x, int64_t position, DecodeAttention& attend) const;

  LayerNorm attn_norm, mlp_norm;

 private:
  Var forward(const Var& x, const ForwardOptions& options) const;  // the block without recompute of itself
 public:
  SelfAttention attn;
  Mlp mlp;

 private:
  float dropout_ = 0.0f;
  int64_t index_ = 0;
};

}  // namespace ln
