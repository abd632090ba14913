#include "generate/text_generation.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

#include "core/error.hpp"
#include "generate/generator.hpp"
#include "generate/utf8_stream.hpp"

namespace ln {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

GenerationResult generate_text(const LanguageModel& model, const Tokenizer& tokenizer,
                               const std::vector<int32_t>& prompt, const GenerationOptions& options,
                               const std::function<void(std::string_view)>& emit) {
  LN_CHECK(options.max_tokens >= 0, "-n is ", options.max_tokens,
           "; give the number of tokens to generate (>= 0)");
  Sampler sampler(options.sampler);
  // Only ids the tokenizer can print are sampled (a model may have a larger vocabulary).
  const int64_t V = std::min<int64_t>(model.spec().vocab_size, tokenizer.vocab_size());
  const int32_t eos = tokenizer.eos_id();
  GenerationResult result;
  result.prompt_tokens = static_cast<int64_t>(prompt.size());

  auto t0 = std::chrono::steady_clock::now();
  // The last sampled token is never fed back, so prompt + max_tokens positions suffice.
  Generator gen(model, result.prompt_tokens + std::max<int64_t>(options.max_tokens, 1),
                options.precision.value_or(matmul_precision()));
  Tensor logits = gen.prompt(prompt);
  result.prompt_seconds = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  std::vector<int32_t> history = prompt;
  Utf8Stream text;
  for (int64_t i = 0; i < options.max_tokens; ++i) {
    if (options.stop && options.stop()) {
      result.interrupted = true;
      break;
    }
    if (options.ignore_eos && eos >= 0 && eos < V)
      logits.data()[eos] = -std::numeric_limits<float>::infinity();
    const int32_t id = sampler.sample(logits.data(), V, history);
    if (id == eos && !options.ignore_eos) {
      result.stopped_at_eos = true;
      break;
    }
    result.tokens.push_back(id);
    history.push_back(id);
    const std::string piece = text.push(tokenizer.decode_piece(id));
    if (!piece.empty()) emit(piece);
    if (i + 1 < options.max_tokens) logits = gen.next(id);
  }
  const std::string rest = text.flush();
  if (!rest.empty()) emit(rest);
  result.generate_seconds = seconds_since(t0);
  result.cache_bytes = gen.cache().bytes();
  return result;
}

}  // namespace ln
