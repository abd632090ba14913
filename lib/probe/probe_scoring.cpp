#include "probe/probe_scoring.hpp"

#include "core/error.hpp"
#include "eval/extend_patterns.hpp"

namespace ln {

ProbeModels::ProbeModels(const LanguageModel& model, bool extend, Precision precision)
    : model_(model), extend_(extend), precision_(precision) {
  // Refuses, before any work, a model whose schedule cannot be continued (not dilated, one
  // pattern, or not geometric).
  if (extend) extend_patterns(model.spec().attention, model.spec().attention.segments.back() + 1);
}

const LanguageModel& ProbeModels::for_length(int64_t length) {
  if (!extend_ || model_.spec().attention.segments.back() >= length) return model_;
  const int64_t widest = extend_patterns(model_.spec().attention, length).segments.back();
  std::unique_ptr<LanguageModel>& slot = extended_[widest];
  if (!slot) slot = extended_model(model_, length);
  return *slot;
}

WindowScores score_windows(ProbeModels& models, const std::vector<std::vector<int32_t>>& windows) {
  LN_CHECK(!windows.empty(), "[probe] no windows to score");
  WindowScores out;
  out.rows = static_cast<int64_t>(windows.size());
  out.length = static_cast<int64_t>(windows[0].size());
  const int64_t B = out.rows, T = out.length;
  LN_CHECK(T >= 2, "[probe] a window of ", T, " tokens has nothing to predict");
  const LanguageModel& model = models.for_length(T);
  // Inputs are tokens [0, T - 1) of each window, targets [1, T): the last token is only predicted.
  std::vector<int32_t> ids(static_cast<size_t>(B * (T - 1))), targets(ids.size());
  for (int64_t b = 0; b < B; ++b) {
    const std::vector<int32_t>& w = windows[static_cast<size_t>(b)];
    LN_CHECK(static_cast<int64_t>(w.size()) == T, "[probe] windows of one batch must have one length; got ",
             w.size(), " and ", T);
    for (int64_t j = 0; j + 1 < T; ++j) {
      ids[static_cast<size_t>(b * (T - 1) + j)] = w[static_cast<size_t>(j)];
      targets[static_cast<size_t>(b * (T - 1) + j)] = w[static_cast<size_t>(j + 1)];
    }
  }
  for (int32_t t : ids) {
    LN_CHECK(t >= 0 && t < model.spec().vocab_size, "[probe] token id ", t,
             " is outside the model's vocabulary of ", model.spec().vocab_size);
  }
  // The attention op reads the thread's precision (ops/attention_precision.hpp), the linear
  // layers the options': both follow the probe's.
  PrecisionScope precision(models.precision());
  ForwardOptions options;
  options.precision = models.precision();
  const HeadScores scores = model.token_scores(ids, targets, B, T - 1, options);
  out.loss.assign(scores.loss.data(), scores.loss.data() + B * (T - 1));
  out.greedy.resize(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) out.greedy[i] = scores.argmax[i] == targets[i] ? 1 : 0;
  return out;
}

}  // namespace ln
