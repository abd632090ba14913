#include "eval/extend_patterns.hpp"

#include <memory>
#include <string>

#include "core/error.hpp"
#include "nn/language_model.hpp"

namespace ln {

AttentionSpec extend_patterns(const AttentionSpec& spec, int64_t context) {
  LN_CHECK(context >= 1, "[extend_patterns] the context is ", context, "; give a context >= 1");
  LN_CHECK(spec.kind == AttentionKind::dilated,
           "[extend_patterns] extending continues a dilated schedule, but this model's attention.kind is ",
           to_string(spec.kind), "; evaluate this model with its own attention");
  const size_t n = spec.segments.size();
  LN_CHECK(n >= 2 && spec.dilations.size() == n,
           "[extend_patterns] extending needs at least two attention patterns to read the schedule's factor "
           "from; this model has ",
           n, "; evaluate this model with its own patterns");
  if (spec.segments.back() >= context) return spec;  // the widest segment already covers it

  const int64_t w1 = spec.segments[n - 2], w2 = spec.segments[n - 1];
  const int64_t r1 = spec.dilations[n - 2], r2 = spec.dilations[n - 1];
  const bool geometric = w1 > 0 && w2 % w1 == 0 && w2 / w1 >= 2 && r2 == r1 * (w2 / w1);
  LN_CHECK(
      geometric, "[extend_patterns] the last two patterns (w ", w1, ", r ", r1, ") and (w ", w2, ", r ", r2,
      ") do not grow by one integer factor >= 2 for both w and r (attention.segments / attention.dilations); "
      "evaluate this model with its own patterns");
  const int64_t alpha = w2 / w1;

  AttentionSpec out = spec;
  while (out.segments.back() < context) {
    out.segments.push_back(out.segments.back() * alpha);
    out.dilations.push_back(out.dilations.back() * alpha);
  }
  return out;
}

std::unique_ptr<LanguageModel> extended_model(const LanguageModel& model, int64_t context) {
  const ModelSpec& old_spec = model.spec();
  AttentionSpec attention = extend_patterns(old_spec.attention, context);
  if (attention.segments.size() == old_spec.attention.segments.size()) return nullptr;
  ModelSpec spec = old_spec;
  spec.attention = attention;
  validate_attention_spec(spec.attention, spec.heads, spec.head_dim());
  auto out = std::make_unique<LanguageModel>(spec, 0);
  out->load_parameters(model.named_tensors(), "the extended model");
  return out;
}

int64_t extend_trained_model(TrainedModel& trained, int64_t context) {
  LN_CHECK(trained.model != nullptr, "[extend_patterns] no model loaded");
  const auto before = static_cast<int64_t>(trained.model->spec().attention.segments.size());
  std::unique_ptr<LanguageModel> model = extended_model(*trained.model, context);
  if (!model) return 0;
  trained.config.attention.segments = model->spec().attention.segments;
  trained.config.attention.dilations = model->spec().attention.dilations;
  trained.model = std::move(model);
  return static_cast<int64_t>(trained.model->spec().attention.segments.size()) - before;
}

}  // namespace ln
