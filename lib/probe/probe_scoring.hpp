#pragma once
// What the probes share: the model to run at each window length (the trained one, or with
// --extend-patterns its schedule continued to cover the window), and scoring whole windows
// of equal length, every prediction's loss and whether greedy decoding would have made it.
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "nn/language_model.hpp"
#include "ops/precision.hpp"

namespace ln {

class ProbeModels {
 public:
  // `extend`: windows longer than the widest trained segment run with extend_patterns'
  // schedule continued to their length (eval/extend_patterns.hpp); else always `model`.
  ProbeModels(const LanguageModel& model, bool extend, Precision precision);
  const LanguageModel& for_length(int64_t length);
  Precision precision() const { return precision_; }
  const LanguageModel& trained() const { return model_; }

 private:
  const LanguageModel& model_;
  bool extend_;
  Precision precision_;
  std::map<int64_t, std::unique_ptr<LanguageModel>> extended_;  // by widest segment
};

struct WindowScores {
  int64_t rows = 0, length = 0;  // B windows of T tokens
  // (B, T - 1): prediction j of window b is token j + 1 given tokens [0, j].
  std::vector<float> loss;      // −ln p(token) in nats
  std::vector<uint8_t> greedy;  // 1 when the token is the argmax (greedy decoding's choice)
  float loss_at(int64_t b, int64_t j) const { return loss[static_cast<size_t>(b * (length - 1) + j)]; }
  bool greedy_at(int64_t b, int64_t j) const {
    return greedy[static_cast<size_t>(b * (length - 1) + j)] != 0;
  }
};

// Runs the windows (all of one length T >= 2) in one forward, positions from 0 as eval does.
WindowScores score_windows(ProbeModels& models, const std::vector<std::vector<int32_t>>& windows);

}  // namespace ln
