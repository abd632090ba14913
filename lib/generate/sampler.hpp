#pragma once
// The sampler chain of `longnet generate`, in a fixed order (llama.cpp's):
//
//   1. repetition penalty  over the last repeat_last_n tokens (prompt included)
//   2. top-k               keep the k most likely
//   3. top-p               keep the smallest most-likely set whose probability reaches p
//   4. min-p               keep tokens at least min_p times as likely as the most likely
//   5. temperature         divide the logits by temp
//   6. sample              draw from softmax of what is left (seeded RNG)
//
// temp 0 is greedy: the most likely token after the penalty (steps 2-6 could not change it).
// Each filter is off at its neutral value: top_k 0, top_p 1, min_p 0, repeat_penalty 1.
#include <cstdint>
#include <random>
#include <vector>

namespace ln {

struct SamplerOptions {
  double temperature = 0.8;
  int64_t top_k = 40;
  double top_p = 0.95;
  double min_p = 0.05;
  double repeat_penalty = 1.0;
  int64_t repeat_last_n = 64;  // -1: the whole history; 0: off
  uint64_t seed = 0;
};

// What the caller calls each setting in its errors: the field names by default; the CLI passes
// its flags (--temp, --top-k, ...), so the flag wording stays in apps/.
struct SamplerOptionNames {
  const char* temperature = "temperature";
  const char* top_k = "top_k";
  const char* top_p = "top_p";
  const char* min_p = "min_p";
  const char* repeat_penalty = "repeat_penalty";
  const char* repeat_last_n = "repeat_last_n";
};
// ln::Error naming the setting (as `names` spells it) for a value outside its range.
void validate_sampler_options(const SamplerOptions& options, const SamplerOptionNames& names = {});
// A seed from the system's entropy source, for when the user gives none.
uint64_t random_seed();

class Sampler {
 public:
  explicit Sampler(const SamplerOptions& options);  // validates
  // The next token given logits: (V) and the tokens so far (for the penalty).
  int32_t sample(const float* logits, int64_t V, const std::vector<int32_t>& history);
  const SamplerOptions& options() const { return options_; }

 private:
  SamplerOptions options_;
  std::mt19937_64 rng_;
  std::vector<float> work_;
};

}  // namespace ln
