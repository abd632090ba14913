#include "generate/sampling_filters.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "core/error.hpp"

namespace ln {

Candidates make_candidates(const float* logits, int64_t V) {
  Candidates c(static_cast<size_t>(V));
  for (int64_t i = 0; i < V; ++i) c[i] = {static_cast<int32_t>(i), logits[i]};
  return c;
}

void apply_repetition_penalty(float* logits, int64_t V, const std::vector<int32_t>& history, int64_t last_n,
                              float penalty) {
  if (penalty == 1.f || last_n == 0 || history.empty()) return;
  const size_t n = last_n < 0 ? history.size() : std::min(history.size(), static_cast<size_t>(last_n));
  std::unordered_set<int32_t> seen(history.end() - static_cast<std::ptrdiff_t>(n), history.end());
  for (int32_t id : seen) {
    if (id < 0 || id >= V) continue;
    float& l = logits[id];
    l = l > 0 ? l / penalty : l * penalty;
  }
}

void sort_candidates(Candidates& c) {
  std::sort(c.begin(), c.end(), [](const Candidate& a, const Candidate& b) {
    return a.logit != b.logit ? a.logit > b.logit : a.id < b.id;
  });
}

void top_k(Candidates& c, int64_t k) {
  if (k > 0 && k < static_cast<int64_t>(c.size())) {
    std::partial_sort(c.begin(), c.begin() + k, c.end(), [](const Candidate& a, const Candidate& b) {
      return a.logit != b.logit ? a.logit > b.logit : a.id < b.id;
    });
    c.resize(static_cast<size_t>(k));
  } else {
    sort_candidates(c);
  }
}

std::vector<double> probabilities(const Candidates& c) {
  std::vector<double> p(c.size());
  if (c.empty()) return p;
  float m = c[0].logit;
  for (const Candidate& x : c) m = std::max(m, x.logit);
  double sum = 0;
  for (size_t i = 0; i < c.size(); ++i) sum += p[i] = std::exp(static_cast<double>(c[i].logit) - m);
  for (double& x : p) x /= sum;
  return p;
}

void top_p(Candidates& c, double p) {
  if (p >= 1.0 || c.size() <= 1) return;
  sort_candidates(c);
  const std::vector<double> prob = probabilities(c);
  double cum = 0;
  size_t keep = c.size();
  for (size_t i = 0; i < c.size(); ++i) {
    cum += prob[i];
    if (cum >= p) {
      keep = i + 1;
      break;
    }
  }
  c.resize(keep);
}

void min_p(Candidates& c, double min_p) {
  if (min_p <= 0.0 || c.empty()) return;
  // p_i >= min_p * p_max  <=>  logit_i >= logit_max + log(min_p)
  float m = c[0].logit;
  for (const Candidate& x : c) m = std::max(m, x.logit);
  const double threshold = static_cast<double>(m) + std::log(min_p);
  c.erase(std::remove_if(c.begin(), c.end(), [&](const Candidate& x) { return x.logit < threshold; }),
          c.end());
}

void temperature(Candidates& c, double t) {
  LN_CHECK(t > 0, "[sampler] temperature must be > 0 here, got ", t);
  for (Candidate& x : c) x.logit = static_cast<float>(x.logit / t);
}

int32_t argmax(const Candidates& c) {
  LN_CHECK(!c.empty(), "[sampler] no candidates left");
  const Candidate* best = &c[0];
  for (const Candidate& x : c)
    if (x.logit > best->logit || (x.logit == best->logit && x.id < best->id)) best = &x;
  return best->id;
}

int32_t draw(const Candidates& c, double u) {
  LN_CHECK(!c.empty(), "[sampler] no candidates left");
  const std::vector<double> p = probabilities(c);
  double cum = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    cum += p[i];
    if (u < cum) return c[i].id;
  }
  return c.back().id;  // u within rounding of 1
}

}  // namespace ln
