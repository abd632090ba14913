#include "nn/transformer_block.hpp"

#include "autograd/activation_recompute.hpp"
#include "core/error.hpp"
#include "core/splitmix64.hpp"
#include "nn/init.hpp"
#include "ops/attention.hpp"
#include "ops/causal_conv.hpp"
#include "ops/dropout.hpp"
#include "ops/elementwise.hpp"
#include "ops/gelu.hpp"
#include "ops/linear_qkv.hpp"
#include "ops/sequence_parallel_attention.hpp"
#include "ops/shape.hpp"

namespace ln {

Recompute parse_recompute(const std::string& text) {
  if (auto r = enum_from_name(kRecomputeNames, text)) return *r;
  LN_FAIL("recompute is '", text, "'; use one of ", enum_names_text(kRecomputeNames));
}

const char* recompute_name(Recompute r) { return enum_name(kRecomputeNames, r); }

SelfAttention::SelfAttention(const ModelSpec& spec)
    : q_proj(spec.d_model, spec.attention_width(), true),
      k_proj(spec.d_model, spec.attention_width(), true),
      v_proj(spec.d_model, spec.attention_width(), true),
      out_proj(spec.attention_width(), spec.d_model, true),
      attention_(spec.attention),
      heads_(spec.heads),
      subln_(spec.subln) {
  const int64_t A = spec.attention_width();
  if (subln_) inner_norm = LayerNorm(A, spec.norm_eps);
  if (spec.kv_conv > 1) {
    k_conv = Var(Tensor::zeros({spec.kv_conv - 1, A}), true);
    v_conv = Var(Tensor::zeros({spec.kv_conv - 1, A}), true);
  }
  if (spec.q_conv) q_conv = Var(Tensor::zeros({spec.kv_conv - 1, A}), true);
}

Var SelfAttention::operator()(const Var& x, const ForwardOptions& options) const {
  // x: (B, T, C); q, k, v: (B, H, T, D); H * D = A, the attention width (model.head_dim)
  const int64_t B = x.dim(0), T = x.dim(1), H = heads_;
  // One op for the three projections (one GEMM with N = 3A; its backward one dx GEMM with
  // K = 3A that also sums the three, one dW GEMM): the (B, T, 3A) projection is a temporary,
  // not a graph value, and q, k come out rotated, so their unrotated copies never exist either.
  // Generation's observer wants q and k before rotation, and the convolution (DESIGN §8) mixes
  // keys (and with model.q_conv queries) before rotation, so each keeps the rotation of its own
  // position: in both cases the attention op rotates as usual.
  const bool convolve = k_conv.defined();  // model.q_conv requires it (ModelSpec::validate)
  const bool rotate = attention_.positions != PositionKind::none && !options.kv_observer && !convolve;
  // Sequence parallel: this rank's T tokens are the global positions [R*T, (R+1)*T).
  const bool split = options.sequence && options.sequence->ranks() > 1;
  LN_CHECK(
      !(split && convolve),
      "model.kv_conv > 1 with sequence parallelism (parallel.sequence > 1) is not "
      "yet supported: the convolution would need the previous rank's last keys; use parallel.sequence: 1");
  const int64_t pos0 = split ? options.sequence->rank() * T : options.position_offset;
  auto [q, k, v] = linear_qkv(x, q_proj.weight, k_proj.weight, v_proj.weight, q_proj.bias, k_proj.bias,
                              v_proj.bias, H, rotate, pos0, attention_.rope_base);
  if (convolve) {
    Var q_in = q, k_in = k, v_in = v;
    if (q_conv.defined()) q = causal_conv(q_in, q_conv);
    k = causal_conv(k_in, k_conv);
    v = causal_conv(v_in, v_conv);
    if (options.kv_observer)
      options.kv_observer(k.value(), v.value(), k_in.value(), v_in.value(), q_in.value());
  } else if (options.kv_observer) {
    options.kv_observer(k.value(), v.value(), k.value(), v.value(), q.value());
  }
  Var o = split ? sequence_parallel_attention(q, k, v, attention_, *options.sequence, rotate)
                : attention(q, k, v, attention_, pos0, rotate);    // (B, H, T, D)
  Var merged = reshape(transpose(o, 1, 2), {B, T, H * o.dim(3)});  // (B, T, A)
  if (subln_) merged = inner_norm(merged);
  return out_proj(merged);
}

void SelfAttention::parameters(const std::string& prefix, NamedParameters& out) const {
  q_proj.parameters(prefix + ".q_proj", out);
  k_proj.parameters(prefix + ".k_proj", out);
  v_proj.parameters(prefix + ".v_proj", out);
  if (subln_) inner_norm.parameters(prefix + ".inner_norm", out);
  out_proj.parameters(prefix + ".out_proj", out);
  if (q_conv.defined()) out.emplace_back(prefix + ".q_conv.taps", q_conv);
  if (k_conv.defined()) {
    out.emplace_back(prefix + ".k_conv.taps", k_conv);
    out.emplace_back(prefix + ".v_conv.taps", v_conv);
  }
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

Var Mlp::chunked(const Var& x, int64_t chunk) const {
  // The chunks are recomputed inside backward, outside the caller's PrecisionScope: they carry
  // the caller's precision with them so the recompute multiplies as the forward did.
  const Precision precision = matmul_precision();
  return chunked_rows(
      [this, precision](const Var& rows) {
        PrecisionScope scope(precision);
        return (*this)(rows);
      },
      x, chunk, "mlp_chunks");
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
  if (options.recompute != Recompute::blocks || !grad_enabled()) return forward(x, options);
  // Keep only x; the vjp re-runs forward() (whose attention and MLP recompute themselves).
  return checkpoint([this, options](const Var& input) { return forward(input, options); }, x, "block");
}

Var TransformerBlock::forward(const Var& x, const ForwardOptions& options) const {
  PrecisionScope precision(options.precision);  // here, so a recompute in backward matches
  auto drop = [&](const Var& y, uint64_t site) {
    if (!options.train || dropout_ <= 0.0f) return y;
    return dropout(y, dropout_, splitmix64(options.dropout_seed ^ splitmix64(2 * index_ + site)));
  };
  const bool recompute = options.recompute != Recompute::none && grad_enabled();
  Var a = attn_norm(x);
  // The recompute runs inside backward, after this scope has ended: it sets the precision again.
  auto attend = [this, options](const Var& in) {
    PrecisionScope scope(options.precision);
    return attn(in, options);
  };
  Var attended = recompute ? checkpoint(attend, a, "attention_layer") : attn(a, options);
  Var h = add(x, drop(attended, 0));
  Var m = mlp_norm(h);
  // Chunked when recomputing (the chunks recompute in backward) and without grad (free).
  Var mlp_out = recompute || !grad_enabled() ? mlp.chunked(m, options.mlp_chunk) : mlp(m);
  return add(h, drop(mlp_out, 1));
}

void TransformerBlock::parameters(const std::string& prefix, NamedParameters& out) const {
  attn_norm.parameters(prefix + ".attn_norm", out);
  attn.parameters(prefix + ".attn", out);
  mlp_norm.parameters(prefix + ".mlp_norm", out);
  mlp.parameters(prefix + ".mlp", out);
}

}  // namespace ln
