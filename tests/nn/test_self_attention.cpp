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

    // Generation's observer sees k and v before any rotation, as the separate projections make them.
    std::vector<Tensor> seen;
    options.kv_observer = [&](const Tensor& k_seen, const Tensor& v_seen, const Tensor&, const Tensor&) {
      seen = {k_seen.clone(), v_seen.clone()};
    };
    NoGradGuard no_grad;
    Var observed = fused(Var(xv.clone()), options);
    REQUIRE(seen.size() == 2);
    CHECK(excess(seen[0], linear_heads(Var(xv), ref_w[1], ref_b[1], H).value()) <= 1e-4);
    CHECK(excess(seen[1], linear_heads(Var(xv), ref_w[2], ref_b[2], H).value()) <= 1e-4);
    CHECK(excess(observed.value(), want.value()) <= 1e-4);
  }
}
