// Evaluation under `longnet eval --precision bf16`: the scope reaches every GEMM of the
// forward and the chunked head; losses move only by bf16's rounding.
#include <doctest/doctest.h>

#include <cmath>

#include "core/memory_stats.hpp"
#include "ops/precision.hpp"
#include "score/perplexity.hpp"

using namespace ln;

TEST_CASE("eval under a bf16 scope scores within bf16 rounding of fp32, and differs from it") {
  ModelSpec s;
  s.vocab_size = 23;
  s.d_model = 32;
  s.layers = 2;
  s.heads = 2;
  s.mlp_ratio = 2;
  s.init_std = 0.2f;  // large weights: the logits (and the rounding) matter
  s.attention.kind = AttentionKind::dilated;
  s.attention.segments = {8, 16};
  s.attention.dilations = {1, 2};
  LanguageModel model(s, 5);
  std::vector<int32_t> tokens(40);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>((i * 7 + 2) % 23);
  const auto windows = plan_windows(40, 16, 16);
  const std::vector<double> f32 = stream_token_losses(model, tokens, windows, 2);
  std::vector<double> b16;
  {
    PrecisionScope scope(Precision::bf16);
    b16 = stream_token_losses(model, tokens, windows, 2);
  }
  double worst = 0;
  for (size_t i = 0; i < f32.size(); ++i)
    worst = std::max(worst, std::fabs(f32[i] - b16[i]) / std::max(1.0, f32[i]));
  CHECK(worst > 0.0);
  CHECK(worst < 2e-2);
}

TEST_CASE("eval never holds the (T x V) logits: the head runs in row chunks") {
  ModelSpec s;
  s.vocab_size = 8192;  // default head chunk: 2048 rows of 8192 logits (64 MB)
  s.d_model = 16;
  s.layers = 1;
  s.heads = 2;
  s.mlp_ratio = 2;
  s.attention.kind = AttentionKind::dilated;
  s.attention.segments = {64, 256};
  s.attention.dilations = {1, 2};
  LanguageModel model(s, 9);
  const int64_t T = 8192;  // whole logits: 8192 x 8192 floats = 256 MB
  std::vector<int32_t> tokens(T + 1);
  for (int64_t i = 0; i <= T; ++i) tokens[static_cast<size_t>(i)] = static_cast<int32_t>((i * 131) % 8192);
  const uint64_t before = tensor_bytes_live();
  reset_tensor_bytes_peak();
  const std::vector<double> losses = stream_token_losses(model, tokens, plan_windows(T + 1, T, T), 1);
  const uint64_t peak = tensor_bytes_peak() - before;
  CHECK(losses.size() == static_cast<size_t>(T));
  CHECK(peak < uint64_t{100} << 20);  // one 64 MB block and the small activations, not 256 MB
  CHECK(peak > uint64_t{64} << 20);   // ... and the block really was that big (the test measures)
}
