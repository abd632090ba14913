#include "train/batch_source.hpp"

#include "core/splitmix64.hpp"

namespace ln {

BatchSource BatchSource::corpus(const RunData& data, const DataConfig& mix, int64_t micro, int64_t T,
                                uint64_t seed) {
  BatchSource source(micro, T);
  source.sampler_.emplace(data.tokens.tokens(), data.split.train, micro, T, seed);
  if (mix.copy_rows > 0 || mix.passkey_rows > 0 || mix.induction_rows > 0)
    source.sampler_->mix_in(
        {mix.copy_rows, mix.passkey_rows, mix.induction_rows, passkey_template(data.tokenizer)});
  return source;
}

BatchSource BatchSource::random_tokens(int64_t vocab, int64_t micro, int64_t T) {
  BatchSource source(micro, T);
  source.vocab_ = vocab;
  return source;
}

void BatchSource::fill(int64_t step, int64_t m, int64_t accum, int32_t* inputs, int32_t* targets) const {
  if (sampler_) {
    sampler_->fill(step, inputs, targets, m * micro_);
    return;
  }
  // Random tokens: a function of (step, micro-step, position), like the sampler's rows.
  const uint64_t vocab = static_cast<uint64_t>(vocab_);
  const int64_t first = (step * accum + m) * micro_ * T_;
  for (int64_t i = 0; i < micro_ * T_; ++i) {
    inputs[i] = static_cast<int32_t>(splitmix64(2 * static_cast<uint64_t>(first + i)) % vocab);
    targets[i] = static_cast<int32_t>(splitmix64(2 * static_cast<uint64_t>(first + i) + 1) % vocab);
  }
}

}  // namespace ln
