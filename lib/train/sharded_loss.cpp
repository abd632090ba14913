#include "train/sharded_loss.hpp"

#include <algorithm>

#include "ops/elementwise.hpp"

namespace ln {

ShardedLoss sharded_loss(const LanguageModel& model, const std::vector<int32_t>& ids,
                         const std::vector<int32_t>& targets, int64_t B, int64_t l, ForwardOptions options,
                         parallel::ProcessGrid& grid, int32_t ignore_index) {
  options.sequence = &grid.sequence();
  Var local = model.loss(ids, targets, B, l, options, ignore_index);  // mean over this rank's tokens
  const double mine = static_cast<double>(
      std::count_if(targets.begin(), targets.end(), [&](int32_t t) { return t != ignore_index; }));
  if (grid.world_size() == 1) return {local, local.value().item(), mine};
  double sums[2] = {mine, 0.0};
  grid.sum_world(sums, 1);
  const double world = sums[0];
  ShardedLoss out;
  out.tokens = world;
  out.loss = scale(local, world > 0 ? static_cast<float>(mine / world) : 0.f);
  double value = out.loss.value().item();
  grid.sum_world(&value, 1);
  out.value = value;
  return out;
}

std::vector<int32_t> rank_part(const std::vector<int32_t>& batch, int64_t T, int64_t first, int64_t rows,
                               int64_t start, int64_t l) {
  std::vector<int32_t> out(static_cast<size_t>(rows * l));
  for (int64_t b = 0; b < rows; ++b)
    std::copy_n(batch.begin() + (first + b) * T + start, l, out.begin() + b * l);
  return out;
}

}  // namespace ln
