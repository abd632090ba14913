#pragma once
// The loss of one rank of a distributed step (DESIGN §4): the rank's tokens (its rows of the
// global batch, its slice of each sequence) scored by the model, scaled so that the sum over
// the world is the single-process mean over the whole global batch. Backpropagating each rank's
// scaled loss and summing the gradients over the world (ProcessGrid::sum_gradients) gives the
// single-process gradient.
#include <cstdint>
#include <vector>

#include "autograd/var.hpp"
#include "nn/language_model.hpp"
#include "parallel/process_grid.hpp"

namespace ln {

struct ShardedLoss {
  Var loss;           // this rank's share (backpropagate this)
  double value = 0;   // the global mean loss, identical on every rank
  double tokens = 0;  // scored tokens in the world
};

// ids, targets: (B, l), this rank's part; options.sequence is set by this function from the grid.
ShardedLoss sharded_loss(const LanguageModel& model, const std::vector<int32_t>& ids,
                         const std::vector<int32_t>& targets, int64_t B, int64_t l, ForwardOptions options,
                         parallel::ProcessGrid& grid, int32_t ignore_index = -1);

// Rows [first, first + rows) of a (B, T) batch, tokens [start, start + l) of each: a rank's part.
std::vector<int32_t> rank_part(const std::vector<int32_t>& batch, int64_t T, int64_t first, int64_t rows,
                               int64_t start, int64_t l);

}  // namespace ln
