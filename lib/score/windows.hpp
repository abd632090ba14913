#pragma once
// Which windows of a token stream are run through the model, and which of their predictions
// are scored. Two methods (the "perplexity of fixed-length models" recipe):
//
//   non-overlapping (stride == context): windows [0, C), [C, 2C), ... each scored in full, so
//     a token's history restarts at every window boundary (positions 1 .. C).
//   sliding (stride S < context): window k starts at k*S and is C tokens long; it scores only
//     the predictions no earlier window scored, i.e. its last <= S, each with at least C - S
//     tokens of history. The first window is scored in full (nothing earlier exists).
//
// Windows are anchored at their starts (k*S), as in Hugging Face's perplexity guide, so with
// S == C the sliding plan is exactly the non-overlapping one. Every prediction is scored
// exactly once by either plan.
//
// Stream and targets: a stream of N tokens has N - 1 predictions; prediction t (1 <= t < N)
// is token t given tokens [.., t). A window {begin, length} feeds tokens [begin, begin + T)
// and its row j predicts token begin + j + 1 from j + 1 tokens of history ("position" j + 1).
#include <cstdint>
#include <vector>

namespace ln {

struct EvalWindow {
  int64_t begin = 0;         // first input token in the stream
  int64_t length = 0;        // T: inputs [begin, begin + T), targets [begin + 1, begin + T + 1)
  int64_t first_scored = 0;  // rows [first_scored, T) are scored
  int64_t scored() const { return length - first_scored; }
};

// ln::Error for context < 1, stride < 1 or stride > context (naming --context / --stride).
void check_window_settings(int64_t context, int64_t stride);

// The windows over a stream of `stream_tokens` tokens (< 2 tokens: no windows).
std::vector<EvalWindow> plan_windows(int64_t stream_tokens, int64_t context, int64_t stride);

// Sum of window lengths: the tokens the model runs (the work), >= the predictions scored.
int64_t planned_input_tokens(const std::vector<EvalWindow>& windows);

}  // namespace ln
