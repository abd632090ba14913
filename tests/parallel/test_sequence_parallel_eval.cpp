// Evaluation split over the sequence group (longnet eval --set parallel.sequence=P) scores every
// token exactly as one process does, windows that do not split included (they run whole).
#include <doctest/doctest.h>

#include "parallel/process_grid.hpp"
#include "parallel_test_util.hpp"
#include "score/perplexity.hpp"
#include "score/windows.hpp"

using namespace ln;
using namespace ln::test;

TEST_CASE("sequence-parallel evaluation returns the single-process per-token losses") {
  const int64_t world = parallel::ProcessGrid(1).world_size();
  ModelSpec spec;
  spec.vocab_size = 29;
  spec.d_model = 16;
  spec.layers = 2;
  spec.heads = 4;
  spec.mlp_ratio = 2;
  spec.attention.segments = {16, 32, 64};
  spec.attention.dilations = {1, 2, 4};
  spec.attention.positions = PositionKind::xpos;
  spec.init_std = 0.2f;
  LanguageModel model(spec, 3);
  auto u = same_random(300, 9);
  std::vector<int32_t> tokens(u.size());
  for (size_t i = 0; i < u.size(); ++i) tokens[i] = static_cast<int32_t>((u[i] + 1.f) * 14.f);
  // 300 tokens in windows of 64: four full windows split over P, and a short last one that does not.
  const auto windows = plan_windows(static_cast<int64_t>(tokens.size()), 64, 64);
  const StreamResult single = evaluate_stream(model, tokens, windows, 2);
  for (int64_t P = 2; P <= world; ++P) {
    if (world % P != 0) continue;
    parallel::ProcessGrid grid(P);
    const StreamResult split = evaluate_stream(model, tokens, windows, 2, {}, &grid.sequence());
    INFO("P = ", P, " rank ", grid.world_rank());
    CHECK(split.loss.tokens() == single.loss.tokens());
    CHECK(split.loss.mean_loss() == doctest::Approx(single.loss.mean_loss()).epsilon(1e-6));
    CHECK(grid.sequence_stats().bytes_recv > 0);  // it did run split
  }
}
