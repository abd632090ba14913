#include "generate/generator.hpp"

#include "core/error.hpp"

namespace ln {

Generator::Generator(const LanguageModel& model, int64_t capacity, Precision precision)
    : model_(model),
      precision_(precision),
      cache_(std::make_unique<KvCache>(model.spec(), capacity,
                                       precision == Precision::bf16 ? Precision::bf16 : Precision::fp32)) {}

Tensor Generator::prompt(const std::vector<int32_t>& ids) {
  LN_CHECK(length_ == 0, "[generate] the prompt must come first (", length_, " positions already processed)");
  LN_CHECK(!ids.empty(), "[generate] the prompt has no tokens; give some text to continue");
  LN_CHECK(static_cast<int64_t>(ids.size()) <= cache_->capacity(), "[generate] the prompt has ", ids.size(),
           " tokens but the cache holds ", cache_->capacity(), " positions");
  for (int32_t id : ids)
    LN_CHECK(id >= 0 && id < model_.spec().vocab_size, "[generate] prompt token id ", id,
             " is outside the model's vocabulary [0, ", model_.spec().vocab_size, ")");
  PrecisionScope scope(precision_);  // the head's product too, which runs outside the blocks' scope
  ForwardOptions options;
  options.precision = precision_;
  int64_t layer = 0;
  options.kv_observer = [&](const Tensor& k, const Tensor& v, const Tensor& k_in, const Tensor& v_in,
                            const Tensor& q_in) {
    cache_->conv_history()->add_prompt_layer(layer, q_in, k_in, v_in);
    cache_->add_prompt_layer(layer++, k, v);
  };
  Tensor logits = model_.prefill(ids, options);
  length_ = static_cast<int64_t>(ids.size());
  return logits;
}

Tensor Generator::next(int32_t id) {
  LN_CHECK(length_ > 0, "[generate] run the prompt first");
  PrecisionScope scope(precision_);  // the decode step's linear layers multiply as the prompt's did
  Tensor logits = model_.decode_step(id, length_, *cache_);
  ++length_;
  return logits;
}

}  // namespace ln
