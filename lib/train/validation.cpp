#include "train/validation.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "autograd/var.hpp"
#include "core/error.hpp"
#include "ops/sequence_parallel_attention.hpp"

namespace ln {

namespace {

// True when windows of `len` tokens run split over the sequence group (else whole on every rank).
bool splits(const LanguageModel& model, SequenceExchange* sequence, int64_t len) {
  if (!sequence || sequence->ranks() <= 1) return false;
  try {
    check_sequence_split(model.spec().attention, len, sequence->ranks());
  } catch (const Error&) {
    return false;
  }
  return true;
}

// Mean next-token loss of `rows` windows of `len` tokens ((rows, len) inputs and targets).
double mean_window_loss(const LanguageModel& model, const std::vector<int32_t>& inputs,
                        const std::vector<int32_t>& targets, int64_t rows, int64_t len,
                        SequenceExchange* sequence) {
  if (!splits(model, sequence, len)) return model.loss(inputs, targets, rows, len).value().item();
  // This rank's slice of every window; every slice holds rows * l tokens, so the windows'
  // mean is the mean of the slices' means.
  const int64_t P = sequence->ranks(), l = len / P, start = sequence->rank() * l;
  std::vector<int32_t> ids(static_cast<size_t>(rows * l)), part(ids.size());
  for (int64_t r = 0; r < rows; ++r) {
    std::copy_n(inputs.begin() + r * len + start, l, ids.begin() + r * l);
    std::copy_n(targets.begin() + r * len + start, l, part.begin() + r * l);
  }
  ForwardOptions options;
  options.sequence = sequence;
  const float mine = model.loss(ids, part, rows, l, options).value().item();
  std::vector<float> all(static_cast<size_t>(P));
  sequence->segment_gather(&mine, all.data(), 1, P, false);
  double mean = 0;
  for (float m : all) mean += m;
  return mean / static_cast<double>(P);
}

}  // namespace

ValidationResult validation_loss(const LanguageModel& model, const RunData& data, int64_t batch,
                                 int64_t seq_len, int64_t max_batches, SequenceExchange* sequence) {
  ValidationResult out;
  out.loss = std::nan("");
  if (data.split.val.empty()) return out;
  out.split_tokens = total_tokens(data.split.val);
  NoGradGuard no_grad;
  SequentialBatches windows(data.tokens.tokens(), data.split.val, batch, seq_len);
  double total = 0;
  Batch b;
  for (int64_t i = 0; i < max_batches && windows.next(b); ++i) {
    const double mean = mean_window_loss(model, b.inputs, b.targets, b.rows, b.seq, sequence);
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

ValidationResult split_validation_loss(const LanguageModel& model, const RunData& data, int64_t seq_len,
                                       SequenceExchange* sequence) {
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
      total += mean_window_loss(model, inputs, targets, 1, len, sequence) * static_cast<double>(len);
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
