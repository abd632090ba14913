#include "generate/sampler.hpp"

#include <cmath>

#include "core/error.hpp"
#include "generate/sampling_filters.hpp"

namespace ln {

void validate_sampler_options(const SamplerOptions& o, const SamplerOptionNames& names) {
  LN_CHECK(std::isfinite(o.temperature) && o.temperature >= 0, names.temperature, " is ", o.temperature,
           "; use 0 (greedy) or a positive temperature such as 0.8");
  LN_CHECK(o.top_k >= 0, names.top_k, " is ", o.top_k, "; use 0 (off) or a positive count such as 40");
  LN_CHECK(o.top_p > 0 && o.top_p <= 1, names.top_p, " is ", o.top_p,
           "; use a probability in (0, 1] (1 = off)");
  LN_CHECK(o.min_p >= 0 && o.min_p <= 1, names.min_p, " is ", o.min_p, "; use a value in [0, 1] (0 = off)");
  LN_CHECK(std::isfinite(o.repeat_penalty) && o.repeat_penalty > 0, names.repeat_penalty, " is ",
           o.repeat_penalty, "; use a positive factor (1 = off, 1.1 = mild)");
  LN_CHECK(o.repeat_last_n >= -1, names.repeat_last_n, " is ", o.repeat_last_n,
           "; use -1 (whole context), 0 (off) or a token count such as 64");
}

uint64_t random_seed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

Sampler::Sampler(const SamplerOptions& options) : options_(options), rng_(options.seed) {
  validate_sampler_options(options);
}

int32_t Sampler::sample(const float* logits, int64_t V, const std::vector<int32_t>& history) {
  work_.assign(logits, logits + V);
  apply_repetition_penalty(work_.data(), V, history, options_.repeat_last_n,
                           static_cast<float>(options_.repeat_penalty));
  Candidates c = make_candidates(work_.data(), V);
  if (options_.temperature == 0) return argmax(c);
  top_k(c, options_.top_k);
  top_p(c, options_.top_p);
  min_p(c, options_.min_p);
  temperature(c, options_.temperature);
  // 53 random bits -> [0, 1): the same stream on every platform (unlike std's distributions).
  const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
  return draw(c, u);
}

}  // namespace ln
