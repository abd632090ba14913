#pragma once
// The ideal n-token copier: what copying alone could get on a copy probe's document, as a
// yardstick for the model's greedy accuracy (docs/retrieval.md "the match is one token long").
//
// At position i it predicts the token that most often followed tokens[i-n .. i-1] earlier in
// the same window (at positions j < i with tokens[j-n .. j-1] equal to them); when several tie,
// it is right for 1/(number tied) of a prediction; with no earlier occurrence it predicts
// nothing (counts as wrong). An induction head that matches only the current token copies like
// the 1-token copier: the longer the window, the more often that token recurs with another
// successor, so its accuracy fades with the distance of the first copy even where attention
// sees everything. A model that copies as well as the 2- or 3-token copier matches longer
// contexts.
#include <cstdint>
#include <vector>

namespace ln {

// The n-token copier's correct predictions (fractional where it ties) at positions
// [from, to) of `tokens`, each predicted from the tokens before it. n >= 1, n <= from <= to <=
// tokens.size().
double ngram_copier_hits(const std::vector<int32_t>& tokens, int64_t n, int64_t from, int64_t to);

}  // namespace ln
