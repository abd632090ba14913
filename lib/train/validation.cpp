#include "train/validation.hpp"

#include <cmath>

#include "autograd/var.hpp"

namespace ln {

double validation_loss(const LanguageModel& model, const RunData& data, int64_t batch, int64_t seq_len,
                       int64_t max_batches) {
  if (data.split.val.empty()) return std::nan("");
  NoGradGuard no_grad;
  SequentialBatches windows(data.tokens.tokens(), data.split.val, batch, seq_len);
  double total = 0;
  int64_t tokens = 0;
  Batch b;
  for (int64_t i = 0; i < max_batches && windows.next(b); ++i) {
    const double mean = model.loss(b.inputs, b.targets, b.rows, b.seq).value().item();
    total += mean * static_cast<double>(b.rows * b.seq);
    tokens += b.rows * b.seq;
  }
  return tokens > 0 ? total / static_cast<double>(tokens) : std::nan("");
}

}  // namespace ln
