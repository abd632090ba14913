// bf16 mode of the KV cache (KvCache with Precision::bf16, what `longnet generate
// --precision bf16` decodes with): keys and values stored as bf16, the decayed query and the
// probabilities P rounded to bf16 where the attention kernel's bf16 mode rounds them, products
// exact and sums in fp32. Checked three ways:
//  - against the double-precision plain-loop reference (kernels/reference) fed the very bf16
//    operands the cache multiplies (tight: only P's rounding and fp32 sums remain);
//  - against the same reference on the unrounded operands (loose, and it must differ: the
//    mode really rounds), for every position encoding;
//  - through a whole Generator run against the full bf16 forward (the bf16 prefill's function
//    at every position), for dilated, dense and sparse models.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "autograd/var.hpp"
#include "core/bf16.hpp"
#include "core/tensor.hpp"
#include "generate/generator.hpp"
#include "generate/kv_cache.hpp"
#include "kernels/attention/positions.hpp"
#include "kernels/reference/attention_reference.hpp"
#include "kv_cache_test_util.hpp"
#include "nn/language_model.hpp"
#include "ops/precision.hpp"
#include "support/normal_floats.hpp"

using namespace ln;

using ln::test::attention_of;

namespace {

// bf16's unit roundoff: 8 significant bits, round to nearest even errs by at most 2^-8 relatively.
constexpr double kBf16Unit = 1.0 / 256;

float bf16_round(float x) { return static_cast<float>(bf16(x)); }

struct Case {
  AttentionSpec attention;
  int64_t H = 0, D = 0, N = 0;
  std::vector<float> q, k, v;  // (H, N, D) each, before positions
  Case(AttentionSpec a, int64_t heads, int64_t head_dim, int64_t n, uint32_t seed)
      : attention(std::move(a)), H(heads), D(head_dim), N(n) {
    q = ln::test::normal_floats(H * N * D, seed);
    k = ln::test::normal_floats(H * N * D, seed + 1);
    v = ln::test::normal_floats(H * N * D, seed + 2);
  }
};

// The cache's outputs (H, N, D) for rows [prompt, N): the prompt's k/v as the prompt pass hands
// them over, then one token at a time (rows before the prompt stay 0).
std::vector<float> decoded(const Case& c, int64_t prompt, Precision precision) {
  ModelSpec spec;
  spec.heads = c.H;
  spec.d_model = c.H * c.D;
  spec.layers = 1;
  spec.attention = c.attention;
  const int64_t H = c.H, D = c.D, N = c.N;
  KvCache cache(spec, N, precision);
  REQUIRE(cache.precision() == precision);
  Tensor kp = Tensor::empty({1, H, prompt, D}), vp = Tensor::empty({1, H, prompt, D});
  for (int64_t h = 0; h < H; ++h) {
    std::copy_n(c.k.data() + h * N * D, prompt * D, kp.data() + h * prompt * D);
    std::copy_n(c.v.data() + h * N * D, prompt * D, vp.data() + h * prompt * D);
  }
  cache.add_prompt_layer(0, kp, vp);
  std::vector<float> out(static_cast<size_t>(H * N * D), 0.f), qt(H * D), kt(H * D), vt(H * D), ot(H * D);
  for (int64_t t = prompt; t < N; ++t) {
    for (int64_t h = 0; h < H; ++h) {
      std::copy_n(c.q.data() + (h * N + t) * D, D, qt.data() + h * D);
      std::copy_n(c.k.data() + (h * N + t) * D, D, kt.data() + h * D);
      std::copy_n(c.v.data() + (h * N + t) * D, D, vt.data() + h * D);
    }
    cache.attend(0, t, qt.data(), kt.data(), vt.data(), ot.data());
    for (int64_t h = 0; h < H; ++h) std::copy_n(ot.data() + h * D, D, out.data() + (h * N + t) * D);
  }
  return out;
}

// The double reference's outputs (H, N, D). rounded: on the operands the bf16 cache multiplies
// -- q and k rotated in fp32 as the cache rotates them (kernels' rotate_pairs), then q, k, v
// rounded to bf16 -- which for RoPE or no positions are the same for every pattern (XPOS's
// decay, applied before rounding, differs per pattern: not representable here). abs_values:
// with |v| for v (the weighted means of |v| that bound P's rounding, below).
std::vector<double> reference_o(const Case& c, bool rounded, bool abs_values = false) {
  const int64_t H = c.H, D = c.D, N = c.N;
  AttentionSpec a = c.attention;
  std::vector<double> qd(c.q.begin(), c.q.end()), kd(c.k.begin(), c.k.end()), vd(c.v.begin(), c.v.end());
  if (rounded) {
    REQUIRE(a.positions != PositionKind::xpos);
    std::vector<float> qr = c.q, kr = c.k;
    if (a.positions != PositionKind::none) {
      rotate_pairs(c.q.data(), qr.data(), H, N, D, 0, a.rope_base, false);
      rotate_pairs(c.k.data(), kr.data(), H, N, D, 0, a.rope_base, false);
    }
    for (size_t i = 0; i < qd.size(); ++i) {
      qd[i] = bf16_round(qr[i]);
      kd[i] = bf16_round(kr[i]);
      vd[i] = bf16_round(c.v[i]);
    }
    a.positions = PositionKind::none;  // already rotated
  } else if (a.positions != PositionKind::none) {
    reference::rotate_pairs_reference(qd.data(), H, N, D, 0, a.rope_base, false);
    reference::rotate_pairs_reference(kd.data(), H, N, D, 0, a.rope_base, false);
  }
  if (abs_values)
    for (double& x : vd) x = std::abs(x);
  AttentionDims dims;
  dims.heads = H;
  dims.q_len = dims.k_len = N;
  dims.head_dim = D;
  std::vector<double> o(static_cast<size_t>(H * N * D)), lse(static_cast<size_t>(H * N));
  reference::attention_forward_multiset(a, dims, {}, qd.data(), kd.data(), vd.data(), o.data(), lse.data());
  return o;
}

// Max over rows [prompt, N) of |o - ref| / max(1, |ref|).
double worst(const Case& c, const std::vector<float>& o, const std::vector<double>& ref, int64_t prompt) {
  double w = 0;
  for (int64_t h = 0; h < c.H; ++h)
    for (int64_t i = (h * c.N + prompt) * c.D; i < (h + 1) * c.N * c.D; ++i)
      w = std::max(w, std::abs(o[i] - ref[i]) / std::max(1.0, std::abs(ref[i])));
  return w;
}

// Max over rows [prompt, N) of |o - ref| / (u * bound + 2e-5 * max(1, |ref|)): <= 1 when every
// output is within its bound (see the tight test).
double worst_vs_bound(const Case& c, const std::vector<float>& o, const std::vector<double>& ref,
                      const std::vector<double>& bound, int64_t prompt) {
  double w = 0;
  for (int64_t h = 0; h < c.H; ++h)
    for (int64_t i = (h * c.N + prompt) * c.D; i < (h + 1) * c.N * c.D; ++i)
      w = std::max(w,
                   std::abs(o[i] - ref[i]) / (kBf16Unit * bound[i] + 2e-5 * std::max(1.0, std::abs(ref[i]))));
  return w;
}

// The kernels' switch of bf16 products (vdpbf16ps where the CPU has it, or the fp32-FMA
// fallback), which the cache follows; restored to automatic when a test case ends.
struct DotRestore {
  ~DotRestore() { set_attention_bf16_dot(AttentionBf16Dot::automatic); }
};
constexpr AttentionBf16Dot kDots[] = {AttentionBf16Dot::automatic, AttentionBf16Dot::fallback};

// The cases: 6 heads, w_max = 16, N = 40 (two segment boundaries while decoding); D = 24 runs
// both the 16-wide body and the tail of the bf16 dot product; dense; sparse with summary columns.
std::vector<Case> cases(PositionKind pos) {
  std::vector<Case> out;
  uint32_t seed = 100;
  for (HeadOffset rule : {HeadOffset::mod, HeadOffset::block})
    out.emplace_back(attention_of(AttentionKind::dilated, {4, 8, 16}, {1, 2, 4}, rule, pos), 6, 24, 40,
                     seed += 3);
  out.emplace_back(attention_of(AttentionKind::dilated, {6, 12}, {2, 3}, HeadOffset::mod, pos), 4, 16, 30,
                   seed += 3);
  out.emplace_back(attention_of(AttentionKind::dense, {16}, {1}, HeadOffset::mod, pos), 4, 32, 33, seed += 3);
  out.emplace_back(attention_of(AttentionKind::sparse, {16}, {1}, HeadOffset::mod, pos), 4, 8, 41, seed += 3);
  return out;
}

}  // namespace

// Tight: the reference multiplies exactly the cache's bf16 operands (q, k, v rounded), in
// double. What remains is (1) the cache's rounding of P before P.V. Merged over patterns by
// log-sum-exp, the cache's output is o_i = sum_j pi_j (1 + delta_j) v_j with pi the exact
// softmax weights over query i's key multiset and |delta_j| <= u = 2^-8 (bf16's rounding of
// p_j; the sums use the unrounded p), so |o_i - ref_i| <= u * sum_j pi_j |v_j|: the reference's
// own output for |v| in place of v, a bound per output element. (2) fp32 arithmetic, < 2e-5 of
// max(1, |o|) (the fp32 cache's tolerance against this reference, test_kv_cache_reference.cpp).
// Observed: up to 0.88 of that bound (a query whose error comes from one key: the largest p_j,
// exp(0) = 1, never rounds). Two more checks: P really is rounded -- the error exceeds u / 8 ~
// 5e-4, where the reference's rounded q, k, v leave nothing else above fp32's 2e-5 -- and
// the error stays below the one against the unrounded operands. (Mutations tried: a cache
// that does not round the query exceeds the bound, 1.15x; one that does not round P fails the
// u / 8 check.)
TEST_CASE("bf16 KV cache equals the double reference of its bf16-rounded operands") {
  DotRestore restore;
  for (AttentionBf16Dot dot : kDots) {
    set_attention_bf16_dot(dot);
    for (PositionKind pos : {PositionKind::rope, PositionKind::none}) {
      for (const Case& c : cases(pos)) {
        const auto ref_rounded = reference_o(c, true), ref_exact = reference_o(c, false),
                   bound = reference_o(c, true, true);
        for (int64_t prompt : {int64_t{1}, int64_t{7}, int64_t{17}}) {
          const auto o = decoded(c, prompt, Precision::bf16);
          const double tight = worst_vs_bound(c, o, ref_rounded, bound, prompt),
                       rounded_err = worst(c, o, ref_rounded, prompt), loose = worst(c, o, ref_exact, prompt);
          INFO(std::string(attention_bf16_dot_name()), " ", std::string(to_string(c.attention.kind)), " ",
               std::string(to_string(pos)), " H ", c.H, " D ", c.D, " prompt ", prompt,
               ": rounded-operand error ", rounded_err, " = ", tight, " of its bound; unrounded error ",
               loose);
          CHECK(tight <= 1.0);
          CHECK(rounded_err > kBf16Unit / 8);
          CHECK(rounded_err < loose);
        }
      }
    }
  }
}

// Loose: against the unrounded operands. The cache rounds q and k (a score errs by up to ~2u of
// sum_t |q_t k_t| * scale, which P inherits), v and P: ~4u ~ 1.6e-2 of the output's scale in
// the worst case, as the attention kernel's bf16 test reasons (tests/kernels/test_attention_bf16.cpp);
// held to 2e-2 of max(1, |o|). And the mode must really round: the error must exceed u / 8 ~
// 5e-4, which the fp32 cache on the same inputs never approaches (held below 2e-5).
TEST_CASE("bf16 KV cache is within bf16 rounding of the unrounded reference, and really rounds") {
  DotRestore restore;
  for (AttentionBf16Dot dot : kDots) {
    set_attention_bf16_dot(dot);
    for (PositionKind pos : {PositionKind::xpos, PositionKind::rope, PositionKind::none}) {
      for (const Case& c : cases(pos)) {
        const auto ref = reference_o(c, false);
        for (int64_t prompt : {int64_t{1}, int64_t{16}}) {
          const double eb = worst(c, decoded(c, prompt, Precision::bf16), ref, prompt),
                       ef = worst(c, decoded(c, prompt, Precision::fp32), ref, prompt);
          INFO(std::string(attention_bf16_dot_name()), " ", std::string(to_string(c.attention.kind)), " ",
               std::string(to_string(pos)), " prompt ", prompt, ": bf16 ", eb, ", fp32 ", ef);
          CHECK(eb <= 2e-2);
          CHECK(eb > kBf16Unit / 8);
          CHECK(ef <= 2e-5);
        }
      }
    }
  }
}

// vdpbf16ps (where the CPU has AVX512-BF16) and the fp32-FMA fallback multiply the same bf16
// operands exactly and differ only in the fp32 summation order (and vdpbf16ps's flush of
// denormal products): held to 1e-5 of max(1, |o|), ~100 fp32 ulps, as the kernel's two paths
// (tests/kernels/test_attention_bf16.cpp). On other CPUs both are the fallback.
TEST_CASE("bf16 KV cache: vdpbf16ps and the exact fallback agree up to fp32 summation order") {
  DotRestore restore;
  for (PositionKind pos : {PositionKind::xpos, PositionKind::rope}) {
    for (const Case& c : cases(pos)) {
      set_attention_bf16_dot(AttentionBf16Dot::fallback);
      CHECK(std::string(attention_bf16_dot_name()) == "fma");
      const auto fallback = decoded(c, 5, Precision::bf16);
      set_attention_bf16_dot(AttentionBf16Dot::automatic);
      const auto automatic = decoded(c, 5, Precision::bf16);
      double w = 0;
      for (size_t i = 0; i < automatic.size(); ++i)
        w = std::max(w, std::abs(static_cast<double>(automatic[i]) - fallback[i]) /
                            std::max(1.0, std::abs(static_cast<double>(fallback[i]))));
      INFO(std::string(attention_bf16_dot_name()), " vs fma, ", std::string(to_string(c.attention.kind)), " ",
           std::string(to_string(pos)), " D ", c.D, ": ", w);
      CHECK(w <= 1e-5);
    }
  }
}

TEST_CASE("bf16 KV cache holds half the bytes") {
  for (const Case& c : cases(PositionKind::xpos)) {
    ModelSpec spec;
    spec.heads = c.H;
    spec.d_model = c.H * c.D;
    spec.layers = 3;
    spec.attention = c.attention;
    CAPTURE(std::string(to_string(c.attention.kind)));
    for (int64_t capacity : {int64_t{40}, int64_t{1000}}) {
      const int64_t fp32 = KvCache(spec, capacity).bytes(),
                    bf16 = KvCache(spec, capacity, Precision::bf16).bytes();
      CHECK(fp32 > 0);
      CHECK(bf16 * 2 == fp32);
    }
  }
  // The dilated pattern set (4,1), (8,2), (16,4), 6 heads, D = 24, 3 layers: Σ_p ceil(w_p / r_p) = 12
  // keys and values per head and layer, 2 bytes each.
  ModelSpec spec;
  spec.heads = 6;
  spec.d_model = 6 * 24;
  spec.layers = 3;
  spec.attention =
      attention_of(AttentionKind::dilated, {4, 8, 16}, {1, 2, 4}, HeadOffset::mod, PositionKind::xpos);
  CHECK(KvCache(spec, 1'000'000, Precision::bf16).bytes() == 3 * 6 * 12 * 24 * 2 * 2);
}
