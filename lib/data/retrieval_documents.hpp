#pragma once
// Documents that need retrieval from far back in the context, built in token space from a
// text's own tokens. The probes (lib/probe) score a trained model on them; the training
// mixture (data/retrieval_mixture.hpp) teaches a model on them. Every document is a pure
// function of its arguments and a seed: the same seed gives the same tokens.
//
//   copy      A passage P of n tokens of the text, the D tokens that follow it in the text
//             (the gap F), then P again:            [EOS] P F P
//             and its control, where the first P is another passage Q of the text, so the
//             second P sits at the same position after the same gap but is new there:
//                                                   [EOS] Q F P
//             The loss of the second P in the two tells how much the first copy helps.
//   passkey   A random key of `digits` digits in a needle sentence at depth p of a haystack
//             of the text, asked for at the end:
//               [EOS] H1 "\nThe pass key is K. Remember it. K is the pass key.\n" H2
//               "\nWhat is the pass key? The pass key is" " K"
//             (the passkey test of Mohtashami & Jaggi 2023, "Landmark Attention"). The key's
//             tokens are encoded once and spliced in, so they are the same ids in the needle
//             and in the answer.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/range_view.hpp"

namespace ln {

class Tokenizer;

// Counter-based draws: the k-th value is a pure function of (seed, k).
class DrawStream {
 public:
  explicit DrawStream(uint64_t seed) : seed_(seed) {}
  uint64_t bits();
  int64_t below(int64_t n);                 // uniform in [0, n), n >= 1
  int64_t between(int64_t lo, int64_t hi);  // uniform in [lo, hi]
  double unit();                            // uniform in [0, 1)

 private:
  uint64_t seed_;
  uint64_t counter_ = 0;
};

// ---- copy ----------------------------------------------------------------------------------

struct CopyDocument {
  std::vector<int32_t> repeat;   // [EOS] P F P
  std::vector<int32_t> control;  // [EOS] Q F P
  int64_t passage = 0;           // n
  int64_t gap = 0;               // D
  int64_t second = 0;            // index of the second P's first token (1 + n + D) in both
  int64_t source = 0;            // where P starts in the text (F follows it there)
  int64_t other = 0;             // where Q starts in the text
};

// P at a uniformly drawn offset of `text`, Q at an offset whose n tokens overlap neither P nor
// F. ln::Error (one line) when the text holds fewer than 2n + D tokens.
CopyDocument make_copy_document(const RangeView& text, int64_t passage, int64_t gap, int32_t eos,
                                uint64_t seed);

// The smallest text make_copy_document accepts for (passage, gap).
int64_t copy_document_min_text(int64_t passage, int64_t gap);

// ---- passkey -------------------------------------------------------------------------------

// The template's fixed parts, encoded (each part separately, so that a key between them is
// spliced in without changing the ids around it).
struct PasskeyTemplate {
  std::vector<int32_t> needle_lead;    // "\nThe pass key is"
  std::vector<int32_t> needle_middle;  // ". Remember it."
  std::vector<int32_t> needle_tail;    // " is the pass key.\n"
  std::vector<int32_t> question;       // "\nWhat is the pass key? The pass key is"
  int32_t eos = 2;
  // Encodes " " + key: the ids of the key wherever it appears (the tokenizer's encode).
  std::function<std::vector<int32_t>(const std::string&)> encode;
};
// The template encoded with `tokenizer`, which must outlive it.
PasskeyTemplate passkey_template(const Tokenizer& tokenizer);

struct PasskeyDocument {
  std::vector<int32_t> tokens;  // the whole window: prompt and answer, `length` tokens
  std::string key;              // the digits
  int64_t needle = 0;           // index of the needle's first token
  int64_t answer = 0;           // index of the answer's first token; the answer ends the window
  int64_t answer_tokens() const { return static_cast<int64_t>(tokens.size()) - answer; }
};

// A key of `digits` digits (the first not 0) from 64 random bits.
std::string passkey_digits(uint64_t bits, int64_t digits);

// A window of exactly `length` tokens whose haystack is text drawn at a random offset; the
// needle starts after round(depth * haystack tokens) of it (depth in [0, 1]). ln::Error when
// the length cannot hold the template and the key, or the text is shorter than the haystack.
PasskeyDocument make_passkey_document(const RangeView& text, const PasskeyTemplate& pieces, int64_t length,
                                      double depth, int64_t digits, uint64_t seed);

// The fewest tokens a passkey window of a key of `key_tokens` ids needs (no haystack at all).
int64_t passkey_fixed_tokens(const PasskeyTemplate& pieces, int64_t key_tokens);

}  // namespace ln
