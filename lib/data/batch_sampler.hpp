#pragma once
// Batches of next-token-prediction windows.
//
// BatchSampler (training): batch `step` is a pure function of (seed, step): row b is the
// window of T+1 tokens starting at a counter-hashed offset in the train split (the train
// ranges seen as one sequence, i.e. the train documents joined by their EOS), so a resumed
// run sees exactly the batches it would have seen, with no sampler state to save.
// SequentialBatches (validation): the split cut into consecutive windows whose targets do
// not overlap, so every target token is scored once.
#include <cstdint>
#include <vector>

#include "data/range_view.hpp"
#include "data/retrieval_mixture.hpp"
#include "data/split.hpp"

namespace ln {

struct Batch {
  int64_t rows = 0;              // B (the last validation batch may be short)
  int64_t seq = 0;               // T
  std::vector<int32_t> inputs;   // (B, T): window[0 .. T)
  std::vector<int32_t> targets;  // (B, T): window[1 .. T+1)
};

class BatchSampler {
 public:
  // ln::Error when the split holds fewer than seq_len + 1 tokens.
  BatchSampler(const uint32_t* tokens, std::vector<TokenRange> train, int64_t batch, int64_t seq_len,
               uint64_t seed);
  // inputs, targets: (B, T). Rows first_row .. first_row + B - 1 of step `step`: a row is a
  // function of (seed, step, row) alone, so data-parallel ranks or accumulation micro-batches
  // take disjoint row ranges of one global batch (e.g. first_row = rank * B).
  void fill(int64_t step, int32_t* inputs, int32_t* targets, int64_t first_row = 0) const;
  // inputs, targets: (rows, length): tokens [start, start + length) of rows first_row ..
  // first_row + rows - 1 of step `step` (a sequence-parallel rank's part: DESIGN §4). Reads only
  // length + 1 tokens a row, unless the mixture is active: a mixed row's content depends on the
  // whole row, so then each row is built whole (T + 1 tokens, one row at a time) and sliced.
  void fill_slice(int64_t step, int64_t first_row, int64_t rows, int64_t start, int64_t length,
                  int32_t* inputs, int32_t* targets) const;
  bool rewrites_rows() const { return mix_.any(); }
  Batch batch(int64_t step, int64_t first_row = 0) const;
  // Start of row `row`'s window in the joined train split.
  int64_t row_offset(int64_t step, int64_t row) const;
  int64_t split_tokens() const { return view_.size(); }
  // From now on, rows are mixed as `mix` says (data/retrieval_mixture.hpp); without it every
  // row is its window as it is.
  void mix_in(RetrievalMix mix);

 private:
  // The T + 1 tokens of row `row` of step `step`, the mixture applied.
  void row_tokens(int64_t step, int64_t row, int32_t* window) const;

  RangeView view_;
  int64_t batch_, seq_;
  uint64_t seed_;
  RetrievalMix mix_;
};

class SequentialBatches {
 public:
  // Window k covers view[k*T, k*T + T + 1): inputs [k*T, (k+1)*T), targets shifted by one.
  SequentialBatches(const uint32_t* tokens, std::vector<TokenRange> ranges, int64_t batch, int64_t seq_len,
                    const char* split_name = "validation");
  int64_t windows() const { return windows_; }  // floor((tokens - 1) / T)
  int64_t batches() const { return (windows_ + batch_ - 1) / batch_; }
  // Batch i holds windows [i*B, min((i+1)*B, windows)).
  Batch batch(int64_t index) const;
  // Iteration: next() fills `out` with the next batch until the split is exhausted.
  bool next(Batch& out);
  void reset() { cursor_ = 0; }

 private:
  RangeView view_;
  int64_t batch_, seq_;
  int64_t windows_ = 0;
  int64_t cursor_ = 0;
};

}  // namespace ln
