// Each rank reads and holds only its slice of every sequence (DESIGN §4): the token buffers a
// training step allocates (data/token_buffer.hpp counts them: the step's inputs and targets and
// the sampler's row scratch), at their peak, are 2 * rows * T/P + (T/P + 1) tokens, measured at
// P = 1, 2, 4 on a long sequence (T = 2^16) with one row per rank; and the slices the ranks train
// on, put together, are the rows one process would train on (also with a retrieval mixture,
// whose rows are built whole and sliced).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "config/config.hpp"
#include "data/token_buffer.hpp"
#include "nn/language_model.hpp"
#include "parallel/process_grid.hpp"
#include "train/adamw.hpp"
#include "train/batch_source.hpp"
#include "train/train_step.hpp"

using namespace ln;

namespace {

std::vector<uint32_t> random_text(int64_t n) {
  std::vector<uint32_t> text(static_cast<size_t>(n));
  uint64_t x = 12345;
  for (auto& t : text)
    t = static_cast<uint32_t>((x = x * 6364136223846793005ull + 1442695040888963407ull) >> 40) % 300;
  return text;
}

}  // namespace

TEST_CASE("a training step's token buffers per rank are proportional to T / P, not T") {
  const int64_t world = parallel::ProcessGrid(1).world_size();
  const int64_t T = int64_t{1} << 16;
  const std::vector<uint32_t> text = random_text(3 * T);
  for (int64_t P = 1; P <= 4; P *= 2) {
    if (world % P != 0) continue;
    parallel::ProcessGrid grid(P);
    Config c;
    c.data.seq_len = T;
    c.train.batch_size = grid.data_size();  // one row per rank
    const BatchGeometry g = plan_geometry(c, grid);
    REQUIRE(g.rows == 1);
    ModelSpec spec;
    spec.vocab_size = 300;
    spec.d_model = 16;
    spec.layers = 1;
    spec.heads = 2;
    spec.mlp_ratio = 2;
    spec.attention.segments = {256, T};
    spec.attention.dilations = {1, 256};
    spec.attention.positions = PositionKind::rope;
    LanguageModel model(spec, 1);
    std::vector<ParamRef> refs;
    for (auto& [name, var] : model.parameters()) refs.push_back({name, var, true});
    AdamW optimizer(refs);
    const std::vector<Var> params = param_vars(refs);
    const BatchSource source = BatchSource::windows(text.data(), {{0, 3 * T}}, {}, g.micro, T, 7);
    const StepParts parts{model, optimizer, params, source, g, c.train, grid};
    TokenBuffer::reset_peak();
    const int64_t before = TokenBuffer::live_bytes();
    run_train_step(parts, 0, 1e-3, "");
    const int64_t l = T / P;
    INFO("P = ", P, " rank ", grid.world_rank());
    CHECK(TokenBuffer::peak_bytes() - before == (2 * l + (l + 1)) * 4);
  }
}

TEST_CASE("the ranks' slices put together are one process's rows, with and without a retrieval mixture") {
  const int64_t T = 512, rows = 3;
  const std::vector<uint32_t> text = random_text(20 * T);
  for (bool mixed : {false, true}) {
    RetrievalMix mix;
    if (mixed) mix.copy = 0.5, mix.induction = 0.5;
    const BatchSource source = BatchSource::windows(text.data(), {{0, 20 * T}}, mix, rows, T, 9);
    CHECK(source.builds_whole_rows() == mixed);
    std::vector<int32_t> whole_in(rows * T), whole_tg(rows * T);
    source.fill(4, 1, 2, 0, rows, 0, T, whole_in.data(), whole_tg.data());
    for (int64_t P : {2, 4, 8}) {
      const int64_t l = T / P;
      for (int64_t R = 0; R < P; ++R)
        for (int64_t row = 0; row < rows; ++row) {  // one row at a time, as a data replica would
          std::vector<int32_t> in(l), tg(l);
          source.fill(4, 1, 2, row, 1, R * l, l, in.data(), tg.data());
          INFO("mixture ", mixed, " P = ", P, " R = ", R, " row ", row);
          CHECK(std::equal(in.begin(), in.end(), whole_in.begin() + row * T + R * l));
          CHECK(std::equal(tg.begin(), tg.end(), whole_tg.begin() + row * T + R * l));
        }
    }
  }
}
