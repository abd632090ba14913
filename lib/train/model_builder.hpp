#pragma once
// From a resolved Config to the model's ModelSpec: the one place where YAML keys meet the
// model's and attention kernel's own types.
#include "config/config.hpp"
#include "nn/model_spec.hpp"

namespace ln {

// vocab_size: the tokenizer's, used when model.vocab_size is 0.
ModelSpec model_spec_from_config(const Config& config, int64_t tokenizer_vocab_size);

}  // namespace ln
