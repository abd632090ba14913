#pragma once
// The generation loop behind `longnet generate`: prompt pass, then sample → emit → decode, the
// text streamed through a callback as soon as it forms whole UTF-8 characters.
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "data/tokenizer.hpp"
#include "generate/sampler.hpp"
#include "nn/language_model.hpp"

namespace ln {

struct GenerationOptions {
  int64_t max_tokens = 128;  // -n
  bool ignore_eos = false;   // never sample end-of-text (its logit is set to -inf)
  SamplerOptions sampler;
  // The products, KV cache included (--precision); empty: the caller's (ops/precision.hpp).
  std::optional<Precision> precision;
  // Asked before every token: true ends the generation there (generate's Ctrl-C); the text so
  // far has been emitted. Empty: never stops.
  std::function<bool()> stop;
};

struct GenerationResult {
  std::vector<int32_t> tokens;  // generated (eos not included)
  bool stopped_at_eos = false;
  bool interrupted = false;  // options.stop ended it before max_tokens
  int64_t prompt_tokens = 0;
  double prompt_seconds = 0;    // the prompt pass (parallel forward + cache fill)
  double generate_seconds = 0;  // sampling and decoding of the generated tokens
  int64_t cache_bytes = 0;      // the KV cache's key/value storage (KvCache::bytes)
};

// prompt: token ids (at least one). `emit` receives the generated text piece by piece. Runs in
// options.precision, else the caller's.
GenerationResult generate_text(const LanguageModel& model, const Tokenizer& tokenizer,
                               const std::vector<int32_t>& prompt, const GenerationOptions& options,
                               const std::function<void(std::string_view)>& emit);

}  // namespace ln
