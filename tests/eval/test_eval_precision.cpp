// Evaluation under `longnet eval --precision bf16`: the scope reaches every GEMM of the
// forward and the chunked head; losses move only by bf16's rounding.
#include <doctest/doctest.h>

#include <cmath>

#include "eval/perplexity.hpp"
#include "ops/precision.hpp"

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
  for (size_t i = 0; i < f32.size(); ++i) worst = std::max(worst, std::fabs(f32[i] - b16[i]) / std::max(1.0, f32[i]));
  CHECK(worst > 0.0);
  CHECK(worst < 2e-2);
}
