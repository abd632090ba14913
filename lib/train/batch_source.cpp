#include "train/batch_source.hpp"

#include "core/splitmix64.hpp"

namespace ln {

BatchSource BatchSource::corpus(const RunData& data, const DataConfig& mix, int64_t micro, int64_t T,
                                uint64_t seed) {
  RetrievalMix rows;
  if (mix.copy_rows > 0 || mix.passkey_rows > 0 || mix.induction_rows > 0)
    rows = {mix.copy_rows,
            mix.passkey_rows,
            mix.induction_rows,
            passkey_template(data.tokenizer),
            mix.induction_tokens == InductionTokens::uniform ? induction_pieces(data.tokenizer)
                                                             : std::vector<int32_t>{},
            mix.induction_reach};
  return windows(data.tokens.tokens(), data.split.train, std::move(rows), micro, T, seed);
}

BatchSource BatchSource::windows(const uint32_t* tokens, std::vector<TokenRange> train, RetrievalMix mix,
                                 int64_t micro, int64_t T, uint64_t seed) {
  BatchSource source(micro, T);
  source.sampler_.emplace(tokens, std::move(train), micro, T, seed);
  if (mix.any()) source.sampler_->mix_in(std::move(mix));
  return source;
}

BatchSource BatchSource::random_tokens(int64_t vocab, int64_t micro, int64_t T) {
  BatchSource source(micro, T);
  source.vocab_ = vocab;
  return source;
}

void BatchSource::fill(int64_t step, int64_t m, int64_t accum, int64_t first_row, int64_t rows, int64_t start,
                       int64_t l, int32_t* inputs, int32_t* targets) const {
  if (sampler_) {
    sampler_->fill_slice(step, m * micro_ + first_row, rows, start, l, inputs, targets);
    return;
  }
  // Random tokens: a function of (step, micro-step, position), like the sampler's rows.
  const uint64_t vocab = static_cast<uint64_t>(vocab_);
  const int64_t first = (step * accum + m) * micro_ * T_;
  for (int64_t b = 0; b < rows; ++b)
    for (int64_t t = 0; t < l; ++t) {
      const uint64_t i = static_cast<uint64_t>(first + (first_row + b) * T_ + start + t);
      inputs[b * l + t] = static_cast<int32_t>(splitmix64(2 * i) % vocab);
      targets[b * l + t] = static_cast<int32_t>(splitmix64(2 * i + 1) % vocab);
    }
}

}  // namespace ln
