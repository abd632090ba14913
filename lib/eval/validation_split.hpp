#pragma once
// The run's own held-out text as evaluation texts: the held-out streams of data.train
// (score/held_out.hpp, the one definition training's validation reads too), chosen exactly as
// training chose them (the token cache of data.train, split_by_document with data.val_fraction
// and train.seed), one EvalText per source file.
//
// Each EvalText's tokens are the stream's: one token of context, then the held-out tokens. Its
// bytes are the file's size when all of the file is held out (data.document_separator: file, the
// usual case), else the UTF-8 bytes of the held-out documents' text (blank separator lines not
// counted), or, for the held-out tail of a one-document corpus, of the tail's text.
#include <vector>

#include "eval/eval_text.hpp"
#include "run/trained_model.hpp"

namespace ln {

// ln::Error when data.train is missing (relative paths are resolved from the working
// directory, as in training) or when the run has no validation split (data.val_fraction 0).
// May rebuild the token cache (saying so on stderr) when it is missing or stale.
std::vector<EvalText> validation_split_texts(const TrainedModel& trained);

}  // namespace ln
