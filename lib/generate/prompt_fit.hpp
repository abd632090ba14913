#pragma once
// How much of a long prompt `longnet generate` feeds to the model, so that its prompt pass runs
// in bounded time whatever the prompt's length.
//
// With dilated attention every pattern's segments are aligned to multiples of its length w, so
// a position in the current w_max-segment [s, s + w_max) reads only keys in [s, position] at every
// layer (when each w divides w_max): the text before s has no effect on what is generated, and
// dropping a multiple of w_max tokens from the front keeps every segment boundary in place. The
// result is then the same as with the whole prompt, up to float rounding of the rotary angles at
// shifted positions. For dense and sparse attention (and segments that do not nest) the dropped
// text did matter, so the caller says so.
#include <cstdint>
#include <vector>

#include "nn/model_spec.hpp"

namespace ln {

// Prompts up to this many tokens are used whole (raised to 2 w_max for long segments).
constexpr int64_t kPromptTokenLimit = 16384;

struct FittedPrompt {
  std::vector<int32_t> ids;  // what the model sees
  int64_t dropped = 0;       // tokens dropped from the front
  bool exact = true;         // dropping them changes nothing but rounding (see above)
};

// The last tokens of `ids`, at most max(limit, 2 w_max) of them; what is dropped is a multiple
// of w_max for dilated attention.
FittedPrompt fit_prompt(const std::vector<int32_t>& ids, const ModelSpec& spec,
                        int64_t limit = kPromptTokenLimit);

}  // namespace ln
