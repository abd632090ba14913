#pragma once
// Printing an EvalReport: an aligned text table for people (stdout), or one JSON object for
// scripts (`--json`).
#include <string>

#include "eval/eval_run.hpp"

namespace ln {

std::string format_eval_text(const EvalReport& report);
// One line, no trailing newline. Keys: checkpoint, step, parameters, attention,
// train_seq_len, context, stride, batch, context_exceeds_training, notes, methods[] {method,
// context, stride, files[] {path, bytes, documents, tokens, windows, input_tokens, mean_loss,
// loss_se, perplexity, perplexity_se, se_method, bits_per_byte}, all {same without path}},
// position_files, per_token_file, seconds, partial (true when Ctrl-C stopped it early).
std::string format_eval_json(const EvalReport& report);

}  // namespace ln
