#pragma once
// Where a training step's token rows come from: the batch source of a TrainSession.
//
//   corpus         windows of the train split (data/batch_sampler.hpp), with the synthetic
//                  retrieval rows of data.copy_rows, data.passkey_rows and data.induction_rows
//                  mixed in (data/retrieval_mixture.hpp): row r of step s is a function of
//                  (train.seed, s, r) alone, so accumulation and data-parallel ranks change
//                  nothing;
//   random tokens  bench train (TrainOptions::synthetic_data): uniform ids below the model's
//                  vocabulary, a function of (step, micro-step, position); nothing is read.
//
// A new kind of training data (another sampler, a mixture of sources) is one more constructor
// here; the step (train_step.hpp) only calls fill().
#include <cstdint>
#include <optional>

#include "config/config.hpp"
#include "data/batch_sampler.hpp"
#include "train/run_data.hpp"

namespace ln {

class BatchSource {
 public:
  // Micro-batches of `micro` rows of T tokens from the train split of `data` (which must outlive
  // the source), mixed as `mix` says.
  static BatchSource corpus(const RunData& data, const DataConfig& mix, int64_t micro, int64_t T,
                            uint64_t seed);
  static BatchSource random_tokens(int64_t vocab, int64_t micro, int64_t T);

  // The same over tokens already in memory (tests): `train` ranges of `tokens`.
  static BatchSource windows(const uint32_t* tokens, std::vector<TokenRange> train, RetrievalMix mix,
                             int64_t micro, int64_t T, uint64_t seed);

  // inputs, targets: (rows, l). Micro-batch m of the `accum` of optimizer step `step` is rows
  // m*micro .. (m+1)*micro - 1 of the step's global batch; this fills its rows first_row ..
  // first_row + rows - 1, tokens [start, start + l) of each: one rank's part (DESIGN §4; the
  // whole micro-batch in one process). Only that part is read (the sampler's scratch is one
  // row's slice), except that rows a retrieval mixture rewrites are built whole, one at a time.
  void fill(int64_t step, int64_t m, int64_t accum, int64_t first_row, int64_t rows, int64_t start, int64_t l,
            int32_t* inputs, int32_t* targets) const;
  // True when rows are built whole before they are sliced (a mixture is active).
  bool builds_whole_rows() const { return sampler_ && sampler_->rewrites_rows(); }

 private:
  BatchSource(int64_t micro, int64_t T) : micro_(micro), T_(T) {}
  std::optional<BatchSampler> sampler_;  // empty: random tokens
  int64_t vocab_ = 0, micro_ = 0, T_ = 0;
};

}  // namespace ln
