#include "score/windows.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace ln {

void check_window_settings(int64_t context, int64_t stride) {
  // Settings, not flags: `longnet eval` checks its --context/--stride in its own words first.
  LN_CHECK(context >= 1, "[eval] context is ", context, "; give a window of at least 1 token");
  LN_CHECK(stride >= 1, "[eval] stride is ", stride, "; give a stride of at least 1 token");
  LN_CHECK(stride <= context, "[eval] stride ", stride, " is larger than the context ", context,
           "; tokens between windows would never be scored; use a stride <= the context");
}

std::vector<EvalWindow> plan_windows(int64_t stream_tokens, int64_t context, int64_t stride) {
  check_window_settings(context, stride);
  std::vector<EvalWindow> windows;
  const int64_t predictions = stream_tokens - 1;  // targets 1 .. N-1
  int64_t scored_end = 0;                         // predictions [1, scored_end] are scored
  for (int64_t begin = 0; scored_end < predictions; begin += stride) {
    const int64_t end = std::min(begin + context, predictions);  // last target of this window
    windows.push_back({begin, end - begin, scored_end - begin});
    scored_end = end;
  }
  return windows;
}

int64_t planned_input_tokens(const std::vector<EvalWindow>& windows) {
  int64_t total = 0;
  for (const auto& w : windows) total += w.length;
  return total;
}

}  // namespace ln
