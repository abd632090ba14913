#include "train/validation.hpp"

#include <cmath>
#include <vector>

#include "autograd/var.hpp"

namespace ln {

ValidationResult validation_loss(const LanguageModel& model, const RunData& data, int64_t batch, int64_t seq_len,
                                 int64_t max_batches) {
  ValidationResult out;
  out.loss = std::nan("");
  if (data.split.val.empty()) return out;
  out.split_tokens = total_tokens(data.split.val);
  NoGradGuard no_grad;
  SequentialBatches windows(data.tokens.tokens(), data.split.val, batch, seq_len);
  double total = 0;
  Batch b;
  for (int64_t i = 0; i < max_batches && windows.next(b); ++i) {
    const double mean = model.loss(b.inputs, b.targets, b.rows, b.seq).value().item();
    total += mean * static_cast<double>(b.rows * b.seq);
    out.tokens += b.rows * b.seq;
  }
  if (out.tokens > 0) out.loss = total / static_cast<double>(out.tokens);
  return out;
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
