#include "score/held_out.hpp"

#include <algorithm>
#include <cmath>

#include "autograd/var.hpp"
#include "data/batch_sampler.hpp"
#include "score/perplexity.hpp"
#include "score/windows.hpp"

namespace ln {

namespace {

// Token-file tokens [begin, end) appended to `out`.
void append_tokens(std::vector<int32_t>& out, const TokenFile& tokens, int64_t begin, int64_t end) {
  out.insert(out.end(), tokens.tokens() + begin, tokens.tokens() + end);
}

ValidationResult no_validation(const DataSplit& split) {
  ValidationResult out;
  out.loss = std::nan("");
  out.split_tokens = total_tokens(split.val);
  return out;
}

}  // namespace

std::vector<HeldOutStream> held_out_streams(const TokenFile& tokens, const DataSplit& split, int32_t eos) {
  std::vector<HeldOutStream> streams;
  if (split.val.empty()) return streams;
  const auto& offsets = tokens.document_offsets();
  if (tokens.document_count() == 1) {  // the tail of the one document (data/split.hpp)
    const TokenRange tail = split.val.front();
    HeldOutStream stream;
    stream.path = tokens.sources().front().path;
    stream.documents = {0};
    stream.tail = true;
    append_tokens(stream.tokens, tokens, tail.begin - 1, tail.end);  // tail.begin >= 1: training keeps one
    streams.push_back(std::move(stream));
    return streams;
  }
  const auto& val = split.val_documents;
  size_t next = 0;  // index into val (ascending)
  for (const TokenSource& source : tokens.sources()) {
    const auto first = static_cast<int64_t>(source.first_document);
    const auto end = first + static_cast<int64_t>(source.document_count);
    HeldOutStream stream;
    stream.path = source.path;
    while (next < val.size() && val[next] < end) {
      if (val[next] >= first) stream.documents.push_back(val[next]);
      ++next;
    }
    if (stream.documents.empty()) continue;
    stream.whole_file = static_cast<int64_t>(stream.documents.size()) == end - first;
    stream.tokens.push_back(eos);
    for (int64_t d : stream.documents) {
      const size_t i = static_cast<size_t>(d);
      append_tokens(stream.tokens, tokens, static_cast<int64_t>(offsets[i]),
                    static_cast<int64_t>(offsets[i + 1]));
    }
    streams.push_back(std::move(stream));
  }
  return streams;
}

ValidationResult score_held_out(const LanguageModel& model, const std::vector<HeldOutStream>& streams,
                                int64_t seq_len, SequenceExchange* sequence) {
  ValidationResult out;
  out.loss = std::nan("");
  for (const HeldOutStream& stream : streams) out.split_tokens += stream.predictions();
  if (streams.empty()) return out;
  NoGradGuard no_grad;
  LossStats all;
  for (const HeldOutStream& stream : streams) {
    const auto windows = plan_windows(static_cast<int64_t>(stream.tokens.size()), seq_len, seq_len);
    all.merge(evaluate_stream(model, stream.tokens, windows, 1, {}, sequence).loss);
  }
  out.tokens = all.tokens();
  if (out.tokens > 0) out.loss = all.mean_loss();
  return out;
}

ValidationResult score_held_out_subset(const LanguageModel& model, const TokenFile& tokens,
                                       const DataSplit& split, int64_t batch, int64_t seq_len,
                                       int64_t max_batches, SequenceExchange* sequence) {
  ValidationResult out = no_validation(split);
  if (split.val.empty()) return out;
  // The same windows as SequentialBatches (which also refuses a split shorter than one window).
  const SequentialBatches batches(tokens.tokens(), split.val, batch, seq_len);
  const int64_t count = std::min(batches.windows(), max_batches * batch);
  std::vector<int32_t> joined(static_cast<size_t>(count * seq_len + 1));
  RangeView(tokens.tokens(), split.val).copy(0, static_cast<int64_t>(joined.size()), joined.data());
  std::vector<EvalWindow> windows(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) windows[static_cast<size_t>(k)] = {k * seq_len, seq_len, 0};
  NoGradGuard no_grad;
  const StreamResult scored = evaluate_stream(model, joined, windows, batch, {}, sequence);
  out.tokens = scored.loss.tokens();
  if (out.tokens > 0) out.loss = scored.loss.mean_loss();
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
