#include "train/validation.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "autograd/var.hpp"

namespace ln {

double validation_loss(const LanguageModel& model, const RunData& data, int64_t batch, int64_t seq_len,
                       int64_t max_batches, SequenceExchange* sequence) {
  if (data.split.val.empty()) return std::nan("");
  NoGradGuard no_grad;
  SequentialBatches windows(data.tokens.tokens(), data.split.val, batch, seq_len);
  double total = 0;
  int64_t tokens = 0;
  Batch b;
  for (int64_t i = 0; i < max_batches && windows.next(b); ++i) {
    double mean = 0;
    if (sequence && sequence->ranks() > 1) {
      // This rank's slice of every window; every slice holds rows * l tokens, so the window
      // mean is the mean of the slices' means.
      const int64_t P = sequence->ranks(), l = b.seq / P, start = sequence->rank() * l;
      std::vector<int32_t> ids(static_cast<size_t>(b.rows * l)), targets(ids.size());
      for (int64_t r = 0; r < b.rows; ++r) {
        std::copy_n(b.inputs.begin() + r * b.seq + start, l, ids.begin() + r * l);
        std::copy_n(b.targets.begin() + r * b.seq + start, l, targets.begin() + r * l);
      }
      ForwardOptions options;
      options.sequence = sequence;
      const float mine = model.loss(ids, targets, b.rows, l, options).value().item();
      std::vector<float> all(static_cast<size_t>(P));
      sequence->segment_gather(&mine, all.data(), 1, P, false);
      for (float m : all) mean += m;
      mean /= static_cast<double>(P);
    } else {
      mean = model.loss(b.inputs, b.targets, b.rows, b.seq).value().item();
    }
    total += mean * static_cast<double>(b.rows * b.seq);
    tokens += b.rows * b.seq;
  }
  return tokens > 0 ? total / static_cast<double>(tokens) : std::nan("");
}

double unigram_loss(const uint32_t* tokens, const std::vector<TokenRange>& train,
                    const std::vector<TokenRange>& val, int64_t vocab_size) {
  if (val.empty()) return std::nan("");
  std::vector<double> counts(static_cast<size_t>(vocab_size), 1.0);  // add-one smoothing
  double total = static_cast<double>(vocab_size);
  for (const TokenRange& r : train) {
    for (int64_t i = r.begin; i < r.end; ++i) counts[tokens[i]] += 1.0, total += 1.0;
  }
  double loss = 0;
  int64_t n = 0;
  for (const TokenRange& r : val) {
    for (int64_t i = r.begin; i < r.end; ++i) loss -= std::log(counts[tokens[i]] / total), ++n;
  }
  return n > 0 ? loss / static_cast<double>(n) : std::nan("");
}

}  // namespace ln
