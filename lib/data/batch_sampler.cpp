#include "data/batch_sampler.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "data/counter_rng.hpp"
#include "data/token_buffer.hpp"

namespace ln {

namespace {
void check_split(int64_t tokens, int64_t seq_len, const char* split_name) {
  LN_CHECK(tokens >= seq_len + 1, "[data] ", split_name, " split has ", tokens,
           " tokens, fewer than seq_len+1 = ", seq_len + 1,
           "; use a larger corpus or a smaller data.seq_len");
}
}  // namespace

BatchSampler::BatchSampler(const uint32_t* tokens, std::vector<TokenRange> train, int64_t batch,
                           int64_t seq_len, uint64_t seed)
    : view_(tokens, std::move(train)), batch_(batch), seq_(seq_len), seed_(seed) {
  LN_CHECK(batch >= 1 && seq_len >= 1, "[data] batch ", batch, " and seq_len ", seq_len, " must be >= 1");
  check_split(view_.size(), seq_len, "train");
}

int64_t BatchSampler::row_offset(int64_t step, int64_t row) const {
  const uint64_t starts = uint64_t(view_.size() - seq_);  // windows of T+1 fit at [0, n - T)
  return int64_t(uniform_below(counter_hash(seed_, uint64_t(step), uint64_t(row)), starts));
}

void BatchSampler::mix_in(RetrievalMix mix) {
  LN_CHECK(
      mix.copy >= 0 && mix.passkey >= 0 && mix.induction >= 0 && mix.copy + mix.passkey + mix.induction <= 1,
      "[data] the mixture's shares (copy ", mix.copy, ", passkey ", mix.passkey, ", induction ",
      mix.induction, ") must be >= 0 and add up to at most 1");
  mix_ = std::move(mix);
}

void BatchSampler::row_tokens(int64_t step, int64_t row, int32_t* window) const {
  view_.copy(row_offset(step, row), seq_ + 1, window);
  if (!mix_.any()) return;
  // The mixture's draws are a stream of their own: the window's offset is the same as without it.
  constexpr uint64_t kMixStream = 0x6d69787475726521ull;
  apply_retrieval_mix(mix_, view_, counter_hash(seed_ ^ kMixStream, uint64_t(step), uint64_t(row)), window,
                      seq_ + 1);
}

void BatchSampler::fill(int64_t step, int32_t* inputs, int32_t* targets, int64_t first_row) const {
  fill_slice(step, first_row, batch_, 0, seq_, inputs, targets);
}

void BatchSampler::fill_slice(int64_t step, int64_t first_row, int64_t rows, int64_t start, int64_t length,
                              int32_t* inputs, int32_t* targets) const {
  LN_CHECK(start >= 0 && length >= 1 && start + length <= seq_, "[data] slice [", start, ", ", start + length,
           ") is outside rows of ", seq_, " tokens");
  const bool whole = mix_.any();
  TokenBuffer window(whole ? seq_ + 1 : length + 1);
  for (int64_t b = 0; b < rows; ++b) {
    const int32_t* w = window.data();
    if (whole) {
      row_tokens(step, first_row + b, window.data());
      w += start;
    } else {
      view_.copy(row_offset(step, first_row + b) + start, length + 1, window.data());
    }
    std::copy(w, w + length, inputs + b * length);
    std::copy(w + 1, w + length + 1, targets + b * length);
  }
}

Batch BatchSampler::batch(int64_t step, int64_t first_row) const {
  Batch out;
  out.rows = batch_;
  out.seq = seq_;
  out.inputs.resize(size_t(batch_ * seq_));
  out.targets.resize(size_t(batch_ * seq_));
  fill(step, out.inputs.data(), out.targets.data(), first_row);
  return out;
}

SequentialBatches::SequentialBatches(const uint32_t* tokens, std::vector<TokenRange> ranges, int64_t batch,
                                     int64_t seq_len, const char* split_name)
    : view_(tokens, std::move(ranges)), batch_(batch), seq_(seq_len) {
  LN_CHECK(batch >= 1 && seq_len >= 1, "[data] batch ", batch, " and seq_len ", seq_len, " must be >= 1");
  check_split(view_.size(), seq_len, split_name);
  windows_ = (view_.size() - 1) / seq_len;
}

Batch SequentialBatches::batch(int64_t index) const {
  LN_CHECK(index >= 0 && index < batches(), "[data] validation batch ", index, " does not exist (", batches(),
           " batches)");
  Batch out;
  const int64_t first = index * batch_;
  out.rows = std::min(batch_, windows_ - first);
  out.seq = seq_;
  out.inputs.resize(size_t(out.rows * seq_));
  out.targets.resize(size_t(out.rows * seq_));
  std::vector<int32_t> window(size_t(seq_ + 1));
  for (int64_t b = 0; b < out.rows; ++b) {
    view_.copy((first + b) * seq_, seq_ + 1, window.data());
    std::copy(window.begin(), window.end() - 1, out.inputs.begin() + b * seq_);
    std::copy(window.begin() + 1, window.end(), out.targets.begin() + b * seq_);
  }
  return out;
}

bool SequentialBatches::next(Batch& out) {
  if (cursor_ >= batches()) return false;
  out = batch(cursor_++);
  return true;
}

}  // namespace ln
