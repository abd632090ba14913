#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/batch_sampler.hpp"

namespace {

// Token i has value i, so a token's value says where it came from.
std::vector<uint32_t> positions(size_t n) {
  std::vector<uint32_t> tokens(n);
  std::iota(tokens.begin(), tokens.end(), 0u);
  return tokens;
}

// The ranges joined, by naive concatenation.
std::vector<int32_t> joined(const std::vector<ln::TokenRange>& ranges) {
  std::vector<int32_t> out;
  for (const auto& r : ranges) {
    for (int64_t t = r.begin; t < r.end; ++t) out.push_back(int32_t(t));
  }
  return out;
}

}  // namespace

TEST_CASE("batch sampler: a batch is a pure function of (seed, step), inside the train split") {
  const auto tokens = positions(1000);
  const std::vector<ln::TokenRange> train = {{0, 100}, {150, 151}, {160, 400}, {420, 1000}};
  const auto reference = joined(train);
  const int64_t B = 4, T = 16;
  const ln::BatchSampler sampler(tokens.data(), train, B, T, 1234);
  const ln::BatchSampler same(tokens.data(), train, B, T, 1234);
  const ln::BatchSampler other_seed(tokens.data(), train, B, T, 99);
  CHECK(sampler.split_tokens() == int64_t(reference.size()));

  int64_t min_offset = 1 << 30, max_offset = -1;
  for (int64_t step : {0, 1, 2, 7, 1000, 123456789}) {
    CAPTURE(step);
    const ln::Batch a = sampler.batch(step);
    CHECK(a.rows == B);
    CHECK(a.seq == T);
    const ln::Batch b = same.batch(step);
    CHECK(a.inputs == b.inputs);
    CHECK(a.targets == b.targets);
    CHECK(a.inputs != sampler.batch(step + 1).inputs);
    CHECK(a.inputs != other_seed.batch(step).inputs);
    for (int64_t row = 0; row < B; ++row) {
      const int64_t offset = sampler.row_offset(step, row);
      min_offset = std::min(min_offset, offset);
      max_offset = std::max(max_offset, offset);
      REQUIRE(offset + T + 1 <= int64_t(reference.size()));
      // The row is the window reference[offset, offset + T + 1): inputs then targets.
      for (int64_t t = 0; t < T; ++t) {
        CHECK(a.inputs[size_t(row * T + t)] == reference[size_t(offset + t)]);
        CHECK(a.targets[size_t(row * T + t)] == reference[size_t(offset + t + 1)]);
      }
      for (int64_t t = 0; t + 1 < T; ++t)
        CHECK(a.targets[size_t(row * T + t)] == a.inputs[size_t(row * T + t + 1)]);
    }
  }
  // Offsets over many steps reach both ends of the split.
  for (int64_t step = 0; step < 2000; ++step) {
    const int64_t offset = sampler.row_offset(step, step % B);
    min_offset = std::min(min_offset, offset);
    max_offset = std::max(max_offset, offset);
  }
  CHECK(min_offset < 10);
  CHECK(max_offset > int64_t(reference.size()) - T - 1 - 10);
  CHECK(max_offset <= int64_t(reference.size()) - T - 1);
}

TEST_CASE("batch sampler: row ranges of one global batch (data parallel, accumulation)") {
  const auto tokens = positions(3000);
  const std::vector<ln::TokenRange> train = {{0, 1400}, {1500, 3000}};
  const ln::BatchSampler global(tokens.data(), train, 6, 32, 7);
  const ln::BatchSampler part(tokens.data(), train, 2, 32, 7);
  for (int64_t step : {0, 5, 99}) {
    const ln::Batch all = global.batch(step);
    for (int64_t first : {0, 2, 4}) {
      const ln::Batch rows = part.batch(step, first);
      CHECK(rows.inputs ==
            std::vector<int32_t>(all.inputs.begin() + first * 32, all.inputs.begin() + (first + 2) * 32));
      CHECK(rows.targets ==
            std::vector<int32_t>(all.targets.begin() + first * 32, all.targets.begin() + (first + 2) * 32));
    }
  }
}

TEST_CASE("batch sampler: the split must hold seq_len + 1 tokens") {
  const auto tokens = positions(2000);
  try {
    ln::BatchSampler(tokens.data(), {{0, 800}, {900, 912}}, 2, 1024, 1);
    FAIL("expected an error");
  } catch (const ln::Error& e) {
    CHECK(e.message() ==
          "[data] train split has 812 tokens, fewer than seq_len+1 = 1025; use a larger corpus or a "
          "smaller data.seq_len");
  }
  CHECK_NOTHROW(ln::BatchSampler(tokens.data(), {{0, 1025}}, 2, 1024, 1));
  // Exactly T+1 tokens: the only window is the whole split.
  const ln::BatchSampler tight(tokens.data(), {{5, 10}}, 3, 4, 1);
  const ln::Batch b = tight.batch(17);
  CHECK(b.inputs == std::vector<int32_t>{5, 6, 7, 8, 5, 6, 7, 8, 5, 6, 7, 8});
  CHECK(b.targets == std::vector<int32_t>{6, 7, 8, 9, 6, 7, 8, 9, 6, 7, 8, 9});
  CHECK_THROWS_WITH_AS(ln::SequentialBatches(tokens.data(), {{0, 10}}, 1, 10),
                       doctest::Contains("validation split has 10 tokens"), ln::Error);
}

TEST_CASE("sequential batches: cover the validation split once, without overlap") {
  const auto tokens = positions(500);
  const std::vector<ln::TokenRange> val = {{10, 50}, {60, 61}, {100, 177}};
  const auto reference = joined(val);  // 118 tokens
  const int64_t B = 3, T = 8;
  ln::SequentialBatches batches(tokens.data(), val, B, T);
  CHECK(batches.windows() == (118 - 1) / T);  // 14
  CHECK(batches.batches() == 5);              // 3+3+3+3+2

  std::vector<int> scored(reference.size(), 0);
  ln::Batch batch;
  int64_t count = 0, windows = 0;
  while (batches.next(batch)) {
    const ln::Batch direct = batches.batch(count);
    CHECK(direct.inputs == batch.inputs);
    CHECK(batch.rows == (count < 4 ? 3 : 2));
    for (int64_t row = 0; row < batch.rows; ++row, ++windows) {
      for (int64_t t = 0; t < T; ++t) {
        const size_t at = size_t(windows * T + t);
        CHECK(batch.inputs[size_t(row * T + t)] == reference[at]);
        CHECK(batch.targets[size_t(row * T + t)] == reference[at + 1]);
        ++scored[at + 1];
      }
    }
    ++count;
  }
  CHECK(count == 5);
  CHECK(windows == 14);
  // Targets are reference[1 .. 14*8], each once; the 5-token tail is not scored.
  for (size_t i = 0; i < reference.size(); ++i) CHECK(scored[i] == (i >= 1 && i <= 112 ? 1 : 0));
  batches.reset();
  CHECK(batches.next(batch));
  CHECK(batch.inputs == batches.batch(0).inputs);
}
