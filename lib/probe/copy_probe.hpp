#pragma once
// The copy probe: does the model use a passage it saw D tokens ago? For each distance D, a
// passage P of n tokens of the user's text is followed by the D tokens that follow it there,
// then repeated ([EOS] P F P, data/retrieval_documents.hpp); the control replaces the first P
// by another passage of the text ([EOS] Q F P). The ratio is the second P's mean loss with the
// first copy over its mean loss without it: about 1 when the model cannot reach (or does not
// use) the first copy, near 0 when it copies. Scored: the predictions of P's tokens 1 .. n-1
// (its first token follows the gap and cannot be known to repeat).
//
// With a window W (CopyProbeSettings::window) each document keeps only its last W tokens, so a
// model is probed as a sliding window of W tokens would run it (e.g. a dense model at its
// training length).
//
// Sample s of a distance D uses a gap of D + (s mod 8) tokens, so the samples cover every
// alignment modulo 8: dilated attention lets a query see a key only when their positions
// agree modulo the pattern's dilation, and a probe at one alignment could flatter or wrong it.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "data/batch_sampler.hpp"
#include "probe/probe_scoring.hpp"

namespace ln {

struct CopyProbeSettings {
  std::vector<int64_t> distances;  // D
  int64_t passage = 256;           // n
  int64_t samples = 8;             // per distance
  uint64_t seed = 1;
  int64_t alignments = 8;  // sample s adds s mod alignments to D (1: D exactly)
  // > 0: at most this many tokens of history, as a model with a window of W tokens sees them:
  // a longer document is cut from the left (the second P stays at its end). 0: the whole
  // document is one window.
  int64_t window = 0;
};

inline constexpr int kCopierOrders = 3;  // the ideal copiers reported: 1-, 2- and 3-token matches

struct CopyProbeRow {
  int64_t distance = 0;
  int64_t longest = 0;  // the longest window run for this distance (tokens)
  int64_t samples = 0, predictions = 0;
  double loss_new = 0, loss_repeat = 0;      // mean nats per scored prediction
  double ratio = 0;                          // loss_repeat / loss_new
  double greedy_new = 0, greedy_repeat = 0;  // share of predictions greedy decoding gets right
  // The yardstick: share of the repeat's predictions the ideal copier matching the last 1, 2, 3
  // tokens gets right (probe/ngram_copier.hpp), in the same windows.
  std::array<double, kCopierOrders> copier_repeat{};
};

// The distances a probe runs by default: 64, 128, ... below the longest that fits `context`
// tokens, and that longest one (context - 2n - alignments).
std::vector<int64_t> default_copy_distances(int64_t context, int64_t passage, int64_t alignments);

// text: the user's text as one token stream (EOS between documents).
// `progress(done, total)` after each distance.
std::vector<CopyProbeRow> run_copy_probe(ProbeModels& models, const RangeView& text, int32_t eos,
                                         const CopyProbeSettings& settings,
                                         const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace ln
