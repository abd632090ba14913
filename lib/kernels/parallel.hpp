#pragma once
// How the row kernels split work across threads, in one place.
//
// Determinism rule: a result may only depend on the *shape* of the problem, never on how
// many threads run or how TBB schedules them. Per-row work is trivially deterministic;
// reductions across rows (layernorm's dweight, broadcast gradients, sums) go through
// `fixed_chunks`: the split is a function of n alone, each chunk reduces serially, and the
// chunk partials are combined in chunk order by the caller.
#include <algorithm>
#include <cstdint>

#include "core/parallel_for.hpp"

namespace ln::par {

// Below this much work (elements touched) a parallel_for costs more than it saves.
inline constexpr int64_t kMinParallelWork = 1 << 15;

// Calls f(begin, end) over [0, n) rows, in parallel when the work is large enough.
template <typename F>
void for_rows(int64_t n, int64_t work_per_row, F&& f) {
  if (n <= 0) return;
  int64_t work = n * std::max<int64_t>(1, work_per_row);
  if (n == 1 || work < kMinParallelWork) {
    f(int64_t{0}, n);
    return;
  }
  int64_t grain = std::max<int64_t>(1, kMinParallelWork / 4 / std::max<int64_t>(1, work_per_row));
  ln::parallel_for_ranges(int64_t{0}, n, grain, f);
}

// Number of chunks a cross-row reduction over n rows is cut into: depends only on n.
inline int64_t fixed_chunks(int64_t n, int64_t max_chunks = 32) {
  return std::clamp<int64_t>(n / 64, 1, max_chunks);
}
// Rows [begin, end) of chunk k out of `chunks` over n rows.
inline int64_t chunk_begin(int64_t n, int64_t chunks, int64_t k) { return n * k / chunks; }

}  // namespace ln::par
