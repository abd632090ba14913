#pragma once
// Synthetic retrieval rows mixed into the training windows (data.copy_rows, data.passkey_rows,
// data.induction_rows):
// what teaches a small model to use context thousands of tokens back. Every row is still a
// window of T + 1 tokens of the train split; then
//   a copy row (share `copy`) repeats passages of its own text further on, (T + 1) / 512 times
//     (at least once; about a quarter of the row ends up repeated): a passage of n tokens
//     (log-uniform in [16, min(512, (T + 1) / 4)]) starting at s overwrites the tokens at
//     d = s + Δ, with the distance Δ uniform in [n, T + 1 - n], so that most copies reach far
//     back (three quarters beyond T / 4);
//   a passkey row (share `passkey`) ends in a passkey document (data/retrieval_documents.hpp)
//     of L tokens, L uniform in [min(256, T + 1), T + 1], a key of 4 to 6 digits told at a
//     uniform depth of a haystack drawn elsewhere from the train split;
//   an induction row (share `induction`) is runs of tokens drawn at random from the row's own
//     window (so with the text's token frequencies but no order; or, with
//     data.induction_tokens: uniform, from the whole vocabulary alike, so that nothing but the
//     copy predicts any of them), each followed by a gap of
//     fewer random tokens than the run and then by the run again: the second copy can only be
//     predicted by copying, the fastest way a model learns to copy (induction heads, Olsson et
//     al. 2022). Runs are log-uniform in [8, 256] tokens, so every repeat is within 512 tokens;
//     with data.induction_reach: far the row is random tokens throughout and its runs are
//     placed as a copy row places its passages (distances uniform over the row, most of them
//     thousands of tokens back at T = 8K): what a dilated model needs to learn to copy through
//     its far patterns, which the near runs never reach;
//   the others are left as they are.
// A row's kind and shape are a function of (seed, step, row) alone, like its window, so resume
// stays exact and data-parallel ranks build the same rows.
#include <cstdint>
#include <vector>

#include "core/enum_names.hpp"
#include "data/range_view.hpp"
#include "data/retrieval_documents.hpp"

namespace ln {

// Where an induction row's random tokens come from (data.induction_tokens).
enum class InductionTokens { window, uniform };
inline constexpr EnumName<InductionTokens> kInductionTokensNames[] = {{"window", InductionTokens::window},
                                                                      {"uniform", InductionTokens::uniform}};

// How far back an induction row's repeats lie (data.induction_reach).
enum class InductionReach { near, far };
inline constexpr EnumName<InductionReach> kInductionReachNames[] = {{"near", InductionReach::near},
                                                                    {"far", InductionReach::far}};

struct RetrievalMix {
  double copy = 0, passkey = 0, induction = 0;  // shares of rows, adding up to at most 1
  PasskeyTemplate passkey_template;             // encoded with the run's tokenizer; needed when passkey > 0
  // Empty: induction runs draw from the row's own window; else uniformly from these ids (every
  // piece of the vocabulary but the control ones: induction_pieces()).
  std::vector<int32_t> induction_pieces;
  InductionReach induction_reach = InductionReach::near;
  bool any() const { return copy > 0 || passkey > 0 || induction > 0; }
};

enum class MixedRow { natural, copy, passkey, induction };

// The ids uniform induction rows draw from: 0 .. vocab_size - 1 without unk, bos and eos.
std::vector<int32_t> induction_pieces(const Tokenizer& tokenizer);

// The kind of the row whose draws come from `row_seed`.
MixedRow mixed_row_kind(const RetrievalMix& mix, uint64_t row_seed);

// Applies the mixture to one row: `window` holds T + 1 tokens of `text` (the train split) and
// becomes the row's tokens. Returns the row's kind.
MixedRow apply_retrieval_mix(const RetrievalMix& mix, const RangeView& text, uint64_t row_seed,
                             int32_t* window, int64_t length);

}  // namespace ln
