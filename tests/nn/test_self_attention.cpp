#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "autograd/var.hpp"
#include "nn/transformer_block.hpp"
#include "ops/attention.hpp"
#include "ops/linear.hpp"
#include "ops/linear_heads.hpp"
#include "ops/precision.hpp"
#include "ops/shape.hpp"
#include "support/gradcheck.hpp"

using namespace ln;

namespace {

ModelSpec attention_spec() {
  ModelSpec s;
  s.vocab_size = 29;
  s.d_model = 16;
  s.heads = 4;
  s.attention.kind = AttentionKind::dilated;
  s.attention.segments = {4, 8};
  s.attention.dilations = {1, 2};
  s.attention.positions = PositionKind::xpos;
  return s;
}

// The largest |got - want| beyond a relative 1e-5 of want.
double excess(const Tensor& got, const Tensor& want) {
  REQUIRE(got.shape() == want.shape());
  const std::vector<float> g = got.to_vector(), w = want.to_vector();
  double worst = 0;
  for (size_t i = 0; i < g.size(); ++i)
    worst = std::max(worst, std::fabs(double(g[i]) - w[i]) - 1e-5 * std::fabs(double(w[i])));
  return worst;
}

// The causal convolution of model.kv_conv / q_conv written out as plain loops (DESIGN §8):
// y[b, h, t] = x[b, h, t] + Σ_{s=1..K-1} taps[s-1, h-th D columns] ⊙ x[b, h, t-s].
// x: (B, H, T, D); taps: (K-1, H*D).
Tensor convolved_by_hand(const Tensor& x, const Tensor& taps) {
  const int64_t B = x.dim(0), H = x.dim(1), T = x.dim(2), D = x.dim(3), S = taps.dim(0);
  Tensor y = x.clone();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t d = 0; d < D; ++d)
          for (int64_t s = 1; s <= S && s <= t; ++s)
            y.data()[((b * H + h) * T + t) * D + d] +=
                taps.data()[(s - 1) * H * D + h * D + d] * x.data()[((b * H + h) * T + t - s) * D + d];
  return y;
}

// A layer with model.kv_conv 3 and model.q_conv, every weight and tap random (so each matters).
SelfAttention conv_attention(const ModelSpec& spec) {
  SelfAttention attn(spec);
  const int64_t C = spec.d_model;
  std::vector<Linear*> layers{&attn.q_proj, &attn.k_proj, &attn.v_proj, &attn.out_proj};
  for (size_t i = 0; i < layers.size(); ++i) {
    layers[i]->weight = Var(ln::test::random_tensor({C, C}, 110 + i, -0.5f, 0.5f), true);
    layers[i]->bias = Var(ln::test::random_tensor({C}, 210 + i, -0.5f, 0.5f), true);
  }
  attn.q_conv = Var(ln::test::random_tensor({spec.kv_conv - 1, C}, 400, -0.8f, 0.8f), true);
  attn.k_conv = Var(ln::test::random_tensor({spec.kv_conv - 1, C}, 401, -0.8f, 0.8f), true);
  attn.v_conv = Var(ln::test::random_tensor({spec.kv_conv - 1, C}, 402, -0.8f, 0.8f), true);
  return attn;
}

ModelSpec q_conv_spec() {
  ModelSpec s = attention_spec();
  s.kv_conv = 3;
  s.q_conv = true;
  return s;
}

}  // namespace

TEST_CASE("SelfAttention keeps its parameter names, order and count with the fused q/k/v projection") {
  SelfAttention attn(attention_spec());
  NamedParameters params;
  attn.parameters("attn", params);
  std::vector<std::string> names;
  int64_t count = 0;
  for (auto& [name, var] : params) {
    names.push_back(name);
    count += var.numel();
  }
  const std::vector<std::string> want{"attn.q_proj.weight",   "attn.q_proj.bias",   "attn.k_proj.weight",
                                      "attn.k_proj.bias",     "attn.v_proj.weight", "attn.v_proj.bias",
                                      "attn.out_proj.weight", "attn.out_proj.bias"};
  CHECK(names == want);
  CHECK(count == 4 * (16 * 16 + 16));
}

// The reference is the layer as it was before the fusion: three linear_heads ops, attention on
// pre-rotated q and k, out_proj. Same parameters (cloned), same input, same output gradient.
TEST_CASE("SelfAttention with the fused projection equals the three separate projections (fp32, bf16)") {
  const ModelSpec spec = attention_spec();
  const int64_t B = 2, T = 11, C = spec.d_model, H = spec.heads, pos0 = 5;  // ragged T
  for (Precision p : {Precision::fp32, Precision::bf16}) {
    CAPTURE(precision_name(p));
    PrecisionScope scope(p);
    SelfAttention fused(spec);
    std::vector<Linear*> layers{&fused.q_proj, &fused.k_proj, &fused.v_proj, &fused.out_proj};
    std::vector<Var> ref_w, ref_b;
    for (size_t i = 0; i < layers.size(); ++i) {
      layers[i]->weight = Var(ln::test::random_tensor({C, C}, 100 + i, -0.5f, 0.5f), true);
      layers[i]->bias = Var(ln::test::random_tensor({C}, 200 + i, -0.5f, 0.5f), true);
      ref_w.emplace_back(layers[i]->weight.value().clone(), true);
      ref_b.emplace_back(layers[i]->bias.value().clone(), true);
    }
    const Tensor xv = ln::test::random_tensor({B, T, C}, 300), gv = ln::test::random_tensor({B, T, C}, 301);
    Var x_fused(xv.clone(), true), x_ref(xv.clone(), true);

    ForwardOptions options;
    options.position_offset = pos0;
    Var got = fused(x_fused, options);
    Var q = linear_heads(x_ref, ref_w[0], ref_b[0], H, true, pos0, spec.attention.rope_base);
    Var k = linear_heads(x_ref, ref_w[1], ref_b[1], H, true, pos0, spec.attention.rope_base);
    Var v = linear_heads(x_ref, ref_w[2], ref_b[2], H);
    Var o = attention(q, k, v, spec.attention, pos0, true);
    Var want = linear(reshape(transpose(o, 1, 2), {B, T, C}), ref_w[3], ref_b[3]);
    CHECK(excess(got.value(), want.value()) <= 1e-4);
    got.backward(gv);
    want.backward(gv);
    CHECK(excess(x_fused.grad(), x_ref.grad()) <= 1e-4);
    for (size_t i = 0; i < layers.size(); ++i) {
      CAPTURE(i);
      CHECK(excess(layers[i]->weight.grad(), ref_w[i].grad()) <= 1e-4);
      CHECK(excess(layers[i]->bias.grad(), ref_b[i].grad()) <= 1e-4);
    }

    // Generation's observer sees q, k and v before any rotation, as the separate projections make them.
    std::vector<Tensor> seen;
    options.kv_observer = [&](const Tensor& k_seen, const Tensor& v_seen, const Tensor&, const Tensor&,
                              const Tensor& q_seen) {
      seen = {k_seen.clone(), v_seen.clone(), q_seen.clone()};
    };
    NoGradGuard no_grad;
    Var observed = fused(Var(xv.clone()), options);
    REQUIRE(seen.size() == 3);
    CHECK(excess(seen[0], linear_heads(Var(xv), ref_w[1], ref_b[1], H).value()) <= 1e-4);
    CHECK(excess(seen[1], linear_heads(Var(xv), ref_w[2], ref_b[2], H).value()) <= 1e-4);
    CHECK(excess(seen[2], linear_heads(Var(xv), ref_w[0], ref_b[0], H).value()) <= 1e-4);
    CHECK(excess(observed.value(), want.value()) <= 1e-4);
  }
}

// model.q_conv: attention reads q'[t] = q[t] + Σ_s taps_q[s-1] ⊙ q[t-s] of the RAW queries (before
// rotation, like k'), recomputed here from the separate projections and plain loops.
TEST_CASE("SelfAttention with model.q_conv: attention reads the raw queries convolved by their own taps") {
  const ModelSpec spec = q_conv_spec();
  const int64_t B = 2, T = 9, C = spec.d_model, H = spec.heads, D = C / H, pos0 = 3;
  SelfAttention attn = conv_attention(spec);
  NamedParameters params;
  attn.parameters("attn", params);
  REQUIRE(params.size() == 11);
  CHECK(params[8].first == "attn.q_conv.taps");
  CHECK(params[9].first == "attn.k_conv.taps");
  CHECK(params[10].first == "attn.v_conv.taps");

  NoGradGuard no_grad;
  const Tensor xv = ln::test::random_tensor({B, T, C}, 300);
  ForwardOptions options;
  options.position_offset = pos0;
  const Tensor got = attn(Var(xv), options).value();
  auto raw = [&](const Linear& proj) { return linear_heads(Var(xv), proj.weight, proj.bias, H).value(); };
  const Tensor q = raw(attn.q_proj), k = raw(attn.k_proj), v = raw(attn.v_proj);
  const Tensor q_taps = attn.q_conv.value(), q_mixed = convolved_by_hand(q, q_taps);
  // One entry written out, to pin the helper: batch 1, head 2, position 5, dimension 3.
  auto at = [&](const Tensor& x, int64_t t) { return x.data()[((1 * H + 2) * T + t) * D + 3]; };
  const int64_t c = 2 * D + 3;
  CHECK(at(q_mixed, 5) ==
        doctest::Approx(at(q, 5) + q_taps.data()[c] * at(q, 4) + q_taps.data()[C + c] * at(q, 3)));
  // The convolved q and k arrive unrotated: the attention op rotates them (rotated_inputs false).
  auto attend = [&](const Tensor& queries) {
    Var o = attention(Var(queries), Var(convolved_by_hand(k, attn.k_conv.value())),
                      Var(convolved_by_hand(v, attn.v_conv.value())), spec.attention, pos0, false);
    return linear(reshape(transpose(o, 1, 2), {B, T, C}), attn.out_proj.weight, attn.out_proj.bias).value();
  };
  CHECK(excess(got, attend(q_mixed)) <= 1e-4);
  CHECK(excess(got, attend(q)) > 1e-2);  // a layer that ignored the query taps would be seen

  // Generation's observer gets the raw queries (what decoding's ConvHistory keeps), the
  // convolved k, v and their raw inputs; the output is the same.
  std::vector<Tensor> seen;
  options.kv_observer = [&](const Tensor& k_seen, const Tensor& v_seen, const Tensor& k_in,
                            const Tensor& v_in, const Tensor& q_in) {
    seen = {k_seen.clone(), v_seen.clone(), k_in.clone(), v_in.clone(), q_in.clone()};
  };
  const Tensor observed = attn(Var(xv), options).value();
  REQUIRE(seen.size() == 5);
  CHECK(excess(seen[0], convolved_by_hand(k, attn.k_conv.value())) <= 1e-5);
  CHECK(excess(seen[1], convolved_by_hand(v, attn.v_conv.value())) <= 1e-5);
  CHECK(excess(seen[2], k) <= 1e-5);
  CHECK(excess(seen[3], v) <= 1e-5);
  CHECK(excess(seen[4], q) <= 1e-5);
  CHECK(excess(observed, got) <= 1e-5);
}

TEST_CASE(
    "SelfAttention with model.q_conv: gradients of the query taps and the input match finite differences") {
  const ModelSpec spec = q_conv_spec();
  const int64_t B = 1, T = 7, C = spec.d_model;
  SelfAttention attn = conv_attention(spec);
  const ForwardOptions options;
  ln::test::check_vjp(
      [&](const std::vector<Var>& in) {
        attn.q_conv = in[1];
        return attn(in[0], options);
      },
      {ln::test::random_tensor({B, T, C}, 500),
       ln::test::random_tensor({spec.kv_conv - 1, C}, 501, -0.8f, 0.8f)});
}
