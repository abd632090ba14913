#pragma once
// From a resolved Config to the model's ModelSpec: the one place where YAML keys meet the
// model's and attention kernel's own types (lib/run: train, eval and generate all use it).
#include <string>
#include <vector>

#include "config/config.hpp"
#include "nn/model_spec.hpp"

namespace ln {

// vocab_size: the tokenizer's, used when model.vocab_size is 0.
ModelSpec model_spec_from_config(const Config& config, int64_t tokenizer_vocab_size);
// (Its attention part is config/config.hpp's attention_spec_from_config.)

// "Same model?", decided on the typed specs (never on YAML text): every field that decides
// what trained weights mean or how they are used, as "d_model (256 in a, 128 in b)", in a fixed
// order; empty when the two are the same model. dropout is a training setting, not the model:
// it is not compared. `a_name`/`b_name` name the two sides in the text ("the source", "now").
std::vector<std::string> model_differences(const ModelSpec& a, const ModelSpec& b, const std::string& a_name,
                                           const std::string& b_name);

}  // namespace ln
