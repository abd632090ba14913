#include "nn/transformer_block.hpp"

#include "nn/init.hpp"
#include "ops/attention.hpp"
#include "ops/dropout.hpp"
#include "ops/elementwise.hpp"
#include "ops/gelu.hpp"
#include "ops/sequence_parallel_attention.hpp"
#include "ops/shape.hpp"

namespace ln {

SelfAttention::SelfAttention(const ModelSpec& spec)
    : q_proj(spec.d_model, spec.d_model, true),
      k_proj(spec.d_model, spec.d_model, true),
      v_proj(spec.d_model, spec.d_model, true),
      out_proj(spec.d_model, spec.d_model, true),
      attention_(spec.attention),
      heads_(spec.heads),
      subln_(spec.subln) {
  if (subln_) inner_norm = LayerNorm(spec.d_model, spec.norm_eps);
}

Var SelfAttention::operator()(const Var& x, const ForwardOptions& options) const {
  // x: (B, T, C); q, k, v: (B, H, T, D)
  const int64_t B = x.dim(0), T = x.dim(1), C = x.dim(2), H = heads_, D = C / H;
  auto heads_first = [&](const Var& y) { return transpose(reshape(y, {B, T, H, D}), 1, 2); };
  Var q = heads_first(q_proj(x));
  Var k = heads_first(k_proj(x));
  Var v = heads_first(v_proj(x));
  if (options.kv_observer) options.kv_observer(k.value(), v.value());
  Var o = options.sequence && options.sequence->ranks() > 1
              ? sequence_parallel_attention(q, k, v, attention_, *options.sequence)
              : attention(q, k, v, attention_, options.position_offset);  // (B, H, T, D)
  Var merged = reshape(transpose(o, 1, 2), {B, T, C});
  if (subln_) merged = inner_norm(merged);
  return out_proj(merged);
}

void SelfAttention::parameters(const std::string& prefix, NamedParameters& out) const {
  q_proj.parameters(prefix + ".q_proj", out);
  k_proj.parameters(prefix + ".k_proj", out);
  v_proj.parameters(prefix + ".v_proj", out);
  if (subln_) inner_norm.parameters(prefix + ".inner_norm", out);
  out_proj.parameters(prefix + ".out_proj", out);
}

Mlp::Mlp(const ModelSpec& spec)
    : fc1(spec.d_model, spec.mlp_ratio * spec.d_model, true),
      fc2(spec.mlp_ratio * spec.d_model, spec.d_model, true),
      subln_(spec.subln) {
  if (subln_) inner_norm = LayerNorm(spec.mlp_ratio * spec.d_model, spec.norm_eps);
}

Var Mlp::operator()(const Var& x) const {
  Var h = gelu(fc1(x));
  if (subln_) h = inner_norm(h);
  return fc2(h);
}

void Mlp::parameters(const std::string& prefix, NamedParameters& out) const {
  fc1.parameters(prefix + ".fc1", out);
  if (subln_) inner_norm.parameters(prefix + ".inner_norm", out);
  fc2.parameters(prefix + ".fc2", out);
}

TransformerBlock::TransformerBlock(const ModelSpec& spec, int64_t index)
    : attn_norm(spec.d_model, spec.norm_eps),
      mlp_norm(spec.d_model, spec.norm_eps),
      attn(spec),
      mlp(spec),
      dropout_(spec.dropout),
      index_(index) {}

Var TransformerBlock::operator()(const Var& x, const ForwardOptions& options) const {
  auto drop = [&](const Var& y, uint64_t site) {
    if (!options.train || dropout_ <= 0.0f) return y;
    return dropout(y, dropout_, splitmix64(options.dropout_seed ^ splitmix64(2 * index_ + site)));
  };
  Var h = add(x, drop(attn(attn_norm(x), options), 0));
  return add(h, drop(mlp(mlp_norm(h)), 1));
}

void TransformerBlock::parameters(const std::string& prefix, NamedParameters& out) const {
  attn_norm.parameters(prefix + ".attn_norm", out);
  attn.parameters(prefix + ".attn", out);
  mlp_norm.parameters(prefix + ".mlp_norm", out);
  mlp.parameters(prefix + ".mlp", out);
}

}  // namespace ln
