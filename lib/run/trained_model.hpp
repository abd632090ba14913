#pragma once
// Loading a trained model for evaluation and generation: a checkpoint directory, or a run
// directory (its newest intact checkpoint), verified, with its config and tokenizer. The run
// layer (lib/run) sits below train, eval and generate: all three load checkpoints through it.
#include <memory>
#include <string>

#include "config/config.hpp"
#include "data/tokenizer.hpp"
#include "nn/language_model.hpp"

namespace ln {

struct TrainedModel {
  std::string dir;  // the checkpoint directory actually loaded
  int64_t step = 0;
  Config config;   // the resolved config the model was trained with (state.json)
  ModelSpec spec;  // the model built from it, with the tokenizer's vocabulary
  Tokenizer tokenizer;
  std::unique_ptr<LanguageModel> model;
  std::string tokenizer_bytes;  // the tokenizer model file (--init-from copies it into the new run)
};

// Refuses (ln::Error, one line naming the path) a damaged checkpoint, a run directory
// without an intact one, weights holding NaN or Inf, and a tokenizer whose sha256 differs from the one
// recorded in state.json.
TrainedModel load_trained_model(const std::string& run_or_checkpoint_dir);

// Only the tokenizer of the checkpoint load_trained_model would load (verified the same way),
// without reading the weights; or the tokenizer model file itself when given one.
Tokenizer load_trained_tokenizer(const std::string& run_checkpoint_or_tokenizer);

}  // namespace ln
