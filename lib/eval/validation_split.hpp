#pragma once
// The run's own held-out text: the validation documents of data.train, chosen exactly as
// training chose them (the token cache of data.train, split_by_document with
// data.val_fraction and train.seed), grouped by the file they come from.
//
// Each group is one EvalText: EOS, then its documents in order, each ending with EOS (the
// same tokens training's validation windows read). Its bytes are the file's size when all of
// the file is held out (data.document_separator: file, the usual case), else the UTF-8 bytes
// of the held-out documents' text (blank separator lines not counted).
#include <vector>

#include "eval/eval_text.hpp"
#include "run/trained_model.hpp"

namespace ln {

// ln::Error when data.train is missing (relative paths are resolved from the working
// directory, as in training), when the run has no validation split (data.val_fraction 0), or
// when the corpus is a single document (its validation part is a token range, not text).
// May rebuild the token cache (saying so on stderr) when it is missing or stale.
std::vector<EvalText> validation_split_texts(const TrainedModel& trained);

}  // namespace ln
