// nn/model_flops: hand-counted matmuls and a naive count of the attention pairs.
#include <doctest/doctest.h>

#include "core/error.hpp"
#include "nn/model_flops.hpp"

using namespace ln;

namespace {
ModelSpec spec_of(AttentionKind kind) {
  ModelSpec s;
  s.vocab_size = 10;
  s.d_model = 8;
  s.layers = 3;
  s.heads = 2;  // D = 4
  s.mlp_ratio = 4;
  s.attention.kind = kind;
  s.attention.segments = {4, 8};
  s.attention.dilations = {1, 2};
  s.attention.sparse_block = 4;
  s.attention.sparse_summary = 1;
  return s;
}

// (query, key) pairs per head and sequence, from DESIGN §2 written as plain loops.
double dilated_pairs(const std::vector<int64_t>& ws, const std::vector<int64_t>& rs, int64_t heads,
                     int64_t T) {
  double pairs = 0;
  for (size_t p = 0; p < ws.size(); ++p) {
    const int64_t w = std::min(ws[p], T), r = rs[p];
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t g = h % r;
      for (int64_t i = 0; i < T; ++i) {
        const int64_t s = i / w * w;
        if ((i - s) % r != g) continue;
        for (int64_t k = s; k <= i; ++k) pairs += (k - s) % r == g;
      }
    }
  }
  return pairs;
}
}  // namespace

TEST_CASE("training FLOPs: matmuls by hand, attention pairs by a naive count") {
  const int64_t B = 2, T = 16;
  // Per token: 3 layers x 2 x (4*64 + 2*4*64) + 2*8*10 = 3 x 1536 + 160 = 4768.
  const double matmul = 4768.0 * B * T;

  SUBCASE("dense: T(T+1)/2 pairs per head") {
    const StepFlops f = training_step_flops(spec_of(AttentionKind::dense), B, T);
    CHECK(f.tokens == 32);
    CHECK(f.matmul_forward == doctest::Approx(matmul));
    const double pairs = T * (T + 1) / 2.0 * 2 /*heads*/ * B * 3 /*layers*/;
    CHECK(f.attention_forward == doctest::Approx(4.0 * 4 /*D*/ * pairs));
    CHECK(f.train() == doctest::Approx(3 * f.matmul_forward + 3.5 * f.attention_forward));
  }
  SUBCASE("dilated: the pairs the patterns visit") {
    const StepFlops f = training_step_flops(spec_of(AttentionKind::dilated), B, T);
    CHECK(f.matmul_forward == doctest::Approx(matmul));
    const double pairs = dilated_pairs({4, 8}, {1, 2}, 2, T) * B * 3;
    CHECK(f.attention_forward == doctest::Approx(4.0 * 4 * pairs));
    // Fewer than dense, more than the widest pattern alone.
    CHECK(f.attention_forward < training_step_flops(spec_of(AttentionKind::dense), B, T).attention_forward);
  }
  SUBCASE("model.head_dim: the projections are C -> A = H x D, the attention pairs D wide") {
    ModelSpec wide = spec_of(AttentionKind::dense);
    wide.head_width = 6;  // A = 12 while C = 8
    const StepFlops f = training_step_flops(wide, B, T);
    // Per token: 3 layers x 2 x (4*8*12 + 2*4*64) + 2*8*10 = 3 x 1792 + 160 = 5536.
    CHECK(f.matmul_forward == doctest::Approx(5536.0 * B * T));
    const double pairs = T * (T + 1) / 2.0 * 2 /*heads*/ * B * 3 /*layers*/;
    CHECK(f.attention_forward == doctest::Approx(4.0 * 6 /*D*/ * pairs));
  }
  SUBCASE("sparse (Child et al.): own block causally plus one summary position of each earlier block") {
    const StepFlops f = training_step_flops(spec_of(AttentionKind::sparse), B, T);
    double pairs = 0;
    for (int64_t i = 0; i < T; ++i) pairs += i % 4 + 1 + i / 4;  // block of 4, summary 1
    CHECK(f.attention_forward == doctest::Approx(4.0 * 4 * pairs * 2 * B * 3));
  }
  CHECK_THROWS_AS(training_step_flops(spec_of(AttentionKind::dense), 0, T), Error);
}
