#pragma once
// The run's held-out text and its scoring (DESIGN §7), below train and eval: training's
// validation and `longnet eval --validation-split` both read the held-out part through
// held_out_streams and score it with score_held_out, so they cannot disagree on which tokens are
// held out or how they are scored.
//
// A stream per source file that holds held-out tokens: one token of context, then the held-out
// tokens of that file in order, so that every held-out token is predicted exactly once and no
// training token is:
//   - held-out documents (a corpus of two or more): EOS, then the documents, each ending with
//     EOS (EOS is what precedes every document in training too);
//   - the held-out tail of a one-document corpus (data/split.hpp): the token just before the
//     tail (the last training token, as context only), then the tail.
//
// sequence (distributed, DESIGN §4): every rank of the sequence group calls the scorers with the
// same arguments and gets the same result (evaluate_stream splits each window over the group).
#include <cstdint>
#include <string>
#include <vector>

#include "data/split.hpp"
#include "data/token_file.hpp"
#include "kernels/sequence_exchange.hpp"
#include "nn/language_model.hpp"

namespace ln {

struct HeldOutStream {
  std::string path;                // the source file
  std::vector<int64_t> documents;  // its held-out documents (token-file indices), ascending
  bool whole_file = false;         // every document of the file is held out
  bool tail = false;               // the held-out tail of a one-document corpus
  std::vector<int32_t> tokens;     // the context token, then the held-out tokens
  int64_t predictions() const { return static_cast<int64_t>(tokens.size()) - 1; }
};

// Empty when the split holds nothing out (data.val_fraction 0).
std::vector<HeldOutStream> held_out_streams(const TokenFile& tokens, const DataSplit& split, int32_t eos);

struct ValidationResult {
  double loss = 0;           // mean next-token loss in nats (NaN without a validation split)
  int64_t tokens = 0;        // predictions scored
  int64_t split_tokens = 0;  // tokens in the validation split
};

// Every prediction of every stream, in non-overlapping windows of `seq_len` (the last one of a
// stream shorter), one window per forward: exactly `longnet eval --validation-split` at the
// training length (eval/eval_run.hpp), so the two print the same loss.
ValidationResult score_held_out(const LanguageModel& model, const std::vector<HeldOutStream>& streams,
                                int64_t seq_len, SequenceExchange* sequence = nullptr);

// The periodic validation of training: a fixed subset, cheap enough for every train.eval_every
// steps. Window k reads tokens [k*T, k*T + T] of the held-out tokens joined in order (without
// the streams' context tokens); the first `max_batches` batches of `batch` windows are scored.
ValidationResult score_held_out_subset(const LanguageModel& model, const TokenFile& tokens,
                                       const DataSplit& split, int64_t batch, int64_t seq_len,
                                       int64_t max_batches, SequenceExchange* sequence = nullptr);

// The yardstick a model must beat: the validation loss of a unigram model (token frequencies of
// the train split, add-one smoothed). NaN without a validation split.
double unigram_loss(const uint32_t* tokens, const std::vector<TokenRange>& train,
                    const std::vector<TokenRange>& val, int64_t vocab_size);

}  // namespace ln
