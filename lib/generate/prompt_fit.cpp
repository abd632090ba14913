#include "generate/prompt_fit.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace ln {

FittedPrompt fit_prompt(const std::vector<int32_t>& ids, const ModelSpec& spec, int64_t limit) {
  LN_CHECK(limit >= 1, "[generate] prompt limit ", limit, " must be at least 1");
  const AttentionSpec& a = spec.attention;
  const bool dilated = a.kind == AttentionKind::dilated && !a.segments.empty();
  const int64_t w_max = dilated ? *std::max_element(a.segments.begin(), a.segments.end()) : 1;
  bool nested = dilated;
  for (int64_t w : a.segments) nested = nested && w >= 1 && w_max % w == 0;
  // Keep at least one whole w_max segment before the last partial one, so that the segment
  // lengths min(w, capacity) the KV cache uses are the full prompt's.
  const int64_t keep_max = std::max(limit, 2 * w_max);
  const auto n = static_cast<int64_t>(ids.size());
  FittedPrompt fitted;
  if (n <= keep_max) {
    fitted.ids = ids;
    return fitted;
  }
  const int64_t drop = (n - keep_max + w_max - 1) / w_max * w_max;  // >= n - keep_max, a multiple of w_max
  fitted.ids.assign(ids.begin() + drop, ids.end());
  fitted.dropped = drop;
  fitted.exact = nested;
  return fitted;
}

}  // namespace ln
