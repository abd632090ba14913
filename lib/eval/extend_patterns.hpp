#pragma once
// `longnet eval --extend-patterns`: length beyond training for dilated attention.
//
// A LongNet's schedule is geometric: each pattern's segment w and dilation r are the previous
// pattern's times the same factor alpha (the paper's w = 2K..32K with r = 1..12 ends in
// (16384, 6) -> (32768, 12); configs/long-8k.yaml is w = 1K..8K, r = 1..8, alpha = 2). A model
// trained at length N has its widest segment at N, so on a longer prompt no query sees beyond
// its own N-token segment. Extending continues the schedule, (w * alpha, r * alpha), until the
// widest segment covers the evaluation context: the new patterns cost the same per query as
// every other (w / r^2 is constant), and they reuse the trained weights (attention patterns
// have no parameters of their own). alpha is read from the last two patterns, which must
// agree on it for w and r (an integer >= 2).
#include <cstdint>
#include <memory>

#include "kernels/attention/attention_spec.hpp"
#include "run/trained_model.hpp"

namespace ln {

// The schedule continued until segments.back() >= context; `spec` itself when its widest
// segment already covers the context. ln::Error (one line) when the spec is not dilated, has
// fewer than two patterns, or its last two patterns do not share one integer factor.
AttentionSpec extend_patterns(const AttentionSpec& spec, int64_t context);

// A model with the patterns extend_patterns(model.spec().attention, context) and `model`'s
// weights; nullptr when the widest segment already covers the context (nothing to change).
std::unique_ptr<LanguageModel> extended_model(const LanguageModel& model, int64_t context);

// Rebuilds trained.model (and trained.config.attention) with extend_patterns(..., context),
// keeping every weight. Returns the number of patterns added (0: nothing changed).
int64_t extend_trained_model(TrainedModel& trained, int64_t context);

}  // namespace ln
