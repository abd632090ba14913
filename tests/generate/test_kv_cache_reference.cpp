// The KV cache's own attention loop (KvCache::attend) against the plain-loop reference of the
// kernels (kernels/reference/attention_reference.hpp: one double-precision softmax per query
// over its key multiset, written from DESIGN §2), on raw q/k/v without a model. This checks
// the cache loop independently of the tile kernels, which test_kv_cache.cpp's full forward
// uses: decoding token by token must give, at every position t, the output row t of the full
// causal attention recomputed from scratch.
//
// Tolerance 2e-5 * max(1, |o|): the cache is fp32 (one softmax per pattern, merged by
// log-sum-exp), the reference double; with unit-scale inputs and at most 40 keys a row their
// difference is a few fp32 ulps (the largest seen over all cases below: 4.3e-7, 47x inside).
// A wrong key set, head offset or decay factor moves outputs by far more (mutation case).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/tensor.hpp"
#include "generate/kv_cache.hpp"
#include "kernels/reference/attention_reference.hpp"
#include "kv_cache_test_util.hpp"
#include "support/normal_floats.hpp"

using namespace ln;

using ln::test::attention_of;

namespace {

// Max over rows [prompt, N) of |cache - reference| / max(1, |reference|), the reference
// computing `attention` and the cache `cache_attention` (the same one except in the mutation
// case).
double cache_vs_reference(const AttentionSpec& attention, const AttentionSpec& cache_attention, int64_t H,
                          int64_t D, int64_t N, int64_t prompt) {
  ModelSpec spec;
  spec.heads = H;
  spec.d_model = H * D;
  spec.layers = 1;
  spec.attention = cache_attention;
  const auto q = ln::test::normal_floats(H * N * D, 1), k = ln::test::normal_floats(H * N * D, 2),
             v = ln::test::normal_floats(H * N * D, 3);

  // Reference: rotate q and k at their global positions (the kernels' contract), then one
  // softmax per query over the whole causal sequence.
  std::vector<double> qd(q.begin(), q.end()), kd(k.begin(), k.end()), vd(v.begin(), v.end());
  if (attention.positions != PositionKind::none) {
    reference::rotate_pairs_reference(qd.data(), H, N, D, 0, attention.rope_base, false);
    reference::rotate_pairs_reference(kd.data(), H, N, D, 0, attention.rope_base, false);
  }
  AttentionDims dims;
  dims.heads = H;
  dims.q_len = dims.k_len = N;
  dims.head_dim = D;
  std::vector<double> o_ref(static_cast<size_t>(H * N * D)), lse_ref(static_cast<size_t>(H * N));
  reference::attention_forward_multiset(attention, dims, {}, qd.data(), kd.data(), vd.data(), o_ref.data(),
                                        lse_ref.data());

  // Cache: the prompt's k/v as the prompt pass hands them over, then one token at a time.
  KvCache cache(spec, N);
  Tensor kp = Tensor::empty({1, H, prompt, D}), vp = Tensor::empty({1, H, prompt, D});
  for (int64_t h = 0; h < H; ++h) {
    std::copy_n(k.data() + h * N * D, prompt * D, kp.data() + h * prompt * D);
    std::copy_n(v.data() + h * N * D, prompt * D, vp.data() + h * prompt * D);
  }
  cache.add_prompt_layer(0, kp, vp);
  double worst = 0;
  std::vector<float> qt(H * D), kt(H * D), vt(H * D), ot(H * D);
  for (int64_t t = prompt; t < N; ++t) {
    for (int64_t h = 0; h < H; ++h) {
      std::copy_n(q.data() + (h * N + t) * D, D, qt.data() + h * D);
      std::copy_n(k.data() + (h * N + t) * D, D, kt.data() + h * D);
      std::copy_n(v.data() + (h * N + t) * D, D, vt.data() + h * D);
    }
    cache.attend(0, t, qt.data(), kt.data(), vt.data(), ot.data());
    for (int64_t h = 0; h < H; ++h)
      for (int64_t c = 0; c < D; ++c) {
        const double ref = o_ref[(h * N + t) * D + c];
        worst = std::max(worst, std::abs(ot[h * D + c] - ref) / std::max(1.0, std::abs(ref)));
      }
  }
  return worst;
}

double cache_vs_reference(const AttentionSpec& attention, int64_t H, int64_t D, int64_t N, int64_t prompt) {
  return cache_vs_reference(attention, attention, H, D, N, prompt);
}

constexpr double kReferenceTolerance = 2e-5;

}  // namespace

TEST_CASE("KV cache attention equals the plain-loop reference at every decoded position") {
  for (PositionKind pos : {PositionKind::xpos, PositionKind::rope, PositionKind::none}) {
    for (HeadOffset rule : {HeadOffset::mod, HeadOffset::block}) {
      CAPTURE(to_string(pos));
      CAPTURE(to_string(rule));
      // 6 heads, w_max = 16, N = 40: two segment boundaries crossed while decoding.
      for (int64_t prompt : {1, 7, 16, 33}) {
        CAPTURE(prompt);
        CHECK(cache_vs_reference(attention_of(AttentionKind::dilated, {4, 8, 16}, {1, 2, 4}, rule, pos), 6, 8,
                                 40, prompt) <= kReferenceTolerance);
      }
    }
    CAPTURE(to_string(pos));
    CHECK(cache_vs_reference(attention_of(AttentionKind::dilated, {6, 12}, {2, 3}, HeadOffset::mod, pos), 4,
                             8, 30,
                             1) <= kReferenceTolerance);  // some rows reach no key in some heads: o = 0
    CHECK(cache_vs_reference(attention_of(AttentionKind::dense, {16}, {1}, HeadOffset::mod, pos), 4, 8, 33,
                             3) <= kReferenceTolerance);
    CHECK(cache_vs_reference(attention_of(AttentionKind::sparse, {16}, {1}, HeadOffset::mod, pos), 4, 8, 41,
                             5) <= kReferenceTolerance);
  }
}

TEST_CASE("the reference comparison sees a cache built for another attention (mutations)") {
  // The reference computes one attention, the cache a slightly different one: the comparison
  // must fail by far more than the tolerance, else the case above could not fail.
  const AttentionSpec right =
      attention_of(AttentionKind::dilated, {4, 8, 16}, {1, 2, 4}, HeadOffset::mod, PositionKind::xpos);
  CHECK(cache_vs_reference(right, right, 6, 8, 40, 1) <= kReferenceTolerance);
  AttentionSpec m = right;
  m.head_offset = HeadOffset::block;
  CHECK(cache_vs_reference(right, m, 6, 8, 40, 1) > 100 * kReferenceTolerance);
  m = right;
  m.dilations = {1, 2, 2};
  CHECK(cache_vs_reference(right, m, 6, 8, 40, 1) > 100 * kReferenceTolerance);
  m = right;
  m.xpos_scale_base = 17.f;
  CHECK(cache_vs_reference(right, m, 6, 8, 40, 1) > 100 * kReferenceTolerance);
  m = right;
  m.positions = PositionKind::rope;
  CHECK(cache_vs_reference(right, m, 6, 8, 40, 1) > 100 * kReferenceTolerance);
  m = right;
  m.segments = {4, 8, 20};
  CHECK(cache_vs_reference(right, m, 6, 8, 40, 1) > 100 * kReferenceTolerance);
}
