#pragma once
// The steps of the sampler chain (sampler.hpp), each a small pure function over a candidate
// list, testable on a hand-made distribution. Probabilities are softmax(logit) over the
// candidates still in the list.
#include <cstdint>
#include <vector>

namespace ln {

struct Candidate {
  int32_t id = 0;
  float logit = 0.f;
};
using Candidates = std::vector<Candidate>;

// All V tokens, in id order.
Candidates make_candidates(const float* logits, int64_t V);

// llama.cpp's repetition penalty: every distinct token among the last `last_n` of `history`
// (all of it when last_n < 0, none when 0) gets its logit divided by `penalty` when positive,
// multiplied by it when not. penalty 1 is off. logits: (V).
void apply_repetition_penalty(float* logits, int64_t V, const std::vector<int32_t>& history, int64_t last_n,
                              float penalty);

// Sorts by logit, highest first (ties: lower id first, so results never depend on sort order).
void sort_candidates(Candidates& c);
// Keeps the k most likely (k <= 0 or k >= size: all). Leaves the list sorted.
void top_k(Candidates& c, int64_t k);
// Nucleus: keeps the smallest most-likely prefix whose probability reaches p (at least one
// token). p >= 1 keeps all. Leaves the list sorted.
void top_p(Candidates& c, double p);
// Keeps the tokens whose probability is at least min_p times the most likely one's. min_p 0 is
// off. Keeps the list's order.
void min_p(Candidates& c, double min_p);
// Divides the logits by t (> 0).
void temperature(Candidates& c, double t);
// softmax of the candidates' logits, in list order (computed in double).
std::vector<double> probabilities(const Candidates& c);
// The candidate with the highest logit (ties: lower id).
int32_t argmax(const Candidates& c);
// Draws a candidate with probability softmax(logit), u uniform in [0, 1).
int32_t draw(const Candidates& c, double u);

}  // namespace ln
