#pragma once
// The passkey probe (needle in a haystack): a random key of `digits` digits is told at depth p
// of a haystack of the user's text and asked for at the end of a window of L tokens
// (data/retrieval_documents.hpp has the exact words). For each (L, p) cell: the share of
// samples where greedy decoding writes every token of the key (teacher-forced: each key token
// is the argmax given the prompt and the key's earlier tokens, which is exactly greedy
// decoding's output when all are), and the key's mean log-probability in nats.
#include <cstdint>
#include <functional>
#include <vector>

#include "data/batch_sampler.hpp"
#include "data/retrieval_documents.hpp"
#include "probe/probe_scoring.hpp"

namespace ln {

struct PasskeyProbeSettings {
  std::vector<int64_t> lengths;  // L: tokens per window (prompt and key)
  std::vector<double> depths;    // p in [0, 1]: where the needle starts in the haystack
  int64_t samples = 10;          // per cell
  int64_t digits = 5;
  uint64_t seed = 1;
  int64_t batch_tokens = 65536;  // windows of one length run together up to this many tokens
  // > 0: only the last W tokens of each document are run, as a model with a window of W
  // tokens sees them (a needle further back is out of reach). 0: the whole document.
  int64_t window = 0;
};

struct PasskeyCell {
  int64_t length = 0;
  double depth = 0;
  int64_t samples = 0, found = 0;  // found: greedy wrote the whole key
  double accuracy = 0;             // found / samples
  double logprob = 0;              // mean over samples of ln p(key | prompt), nats
};

std::vector<int64_t> default_passkey_lengths(int64_t longest);  // 1024, 2048, ... up to longest
std::vector<double> default_passkey_depths();                   // 0, 0.25, 0.5, 0.75, 1

// Cells in order: every depth of the first length, then the next length. `progress(done,
// total)` after each length.
std::vector<PasskeyCell> run_passkey_probe(ProbeModels& models, const RangeView& text,
                                           const PasskeyTemplate& pieces,
                                           const PasskeyProbeSettings& settings,
                                           const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace ln
