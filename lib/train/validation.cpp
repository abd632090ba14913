#include "train/validation.hpp"

#include <algorithm>
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

std::vector<std::vector<int32_t>> validation_streams(const RunData& data) {
  std::vector<std::vector<int32_t>> streams;
  const auto& offsets = data.tokens.document_offsets();
  const auto& val = data.split.val_documents;
  const int32_t eos = data.tokenizer.eos_id();
  size_t next = 0;  // index into val (ascending)
  for (const TokenSource& source : data.tokens.sources()) {
    const auto first = static_cast<int64_t>(source.first_document);
    const auto end = first + static_cast<int64_t>(source.document_count);
    std::vector<int32_t> stream;
    while (next < val.size() && val[next] < end) {
      if (val[next] >= first) {
        if (stream.empty()) stream.push_back(eos);
        const size_t d = static_cast<size_t>(val[next]);
        stream.insert(stream.end(), data.tokens.tokens() + offsets[d], data.tokens.tokens() + offsets[d + 1]);
      }
      ++next;
    }
    if (!stream.empty()) streams.push_back(std::move(stream));
  }
  return streams;
}

ValidationResult split_validation_loss(const LanguageModel& model, const RunData& data, int64_t seq_len) {
  ValidationResult out;
  out.loss = std::nan("");
  if (data.split.val.empty()) return out;
  out.split_tokens = total_tokens(data.split.val);
  NoGradGuard no_grad;
  double total = 0;
  for (const auto& stream : validation_streams(data)) {
    const int64_t predictions = static_cast<int64_t>(stream.size()) - 1;
    // Windows [k*T, k*T + T) over the inputs, the last one cut at the stream's end.
    for (int64_t begin = 0; begin < predictions; begin += seq_len) {
      const int64_t len = std::min(seq_len, predictions - begin);
      std::vector<int32_t> inputs(stream.begin() + begin, stream.begin() + begin + len);
      std::vector<int32_t> targets(stream.begin() + begin + 1, stream.begin() + begin + len + 1);
      total += model.loss(inputs, targets, 1, len).value().item() * static_cast<double>(len);
      out.tokens += len;
    }
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
