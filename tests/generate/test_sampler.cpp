// The sampler chain's steps on hand-made distributions, the chain's order, greedy decoding and
// seeded reproducibility.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/error.hpp"
#include "generate/sampler.hpp"
#include "generate/sampling_filters.hpp"

using namespace ln;

namespace {
// Ids 3, 0, 4, 1, 2 with probabilities 0.5, 0.2, 0.15, 0.1, 0.05.
const std::map<int32_t, double> kProb = {{3, 0.5}, {0, 0.2}, {4, 0.15}, {1, 0.1}, {2, 0.05}};

std::vector<float> hand_logits(double shift = 1.7) {
  std::vector<float> l(5);
  for (auto [id, p] : kProb) l[id] = static_cast<float>(std::log(p) + shift);  // softmax ignores the shift
  return l;
}

std::set<int32_t> ids_of(const Candidates& c) {
  std::set<int32_t> s;
  for (const auto& x : c) s.insert(x.id);
  return s;
}

Candidates hand_candidates() {
  auto l = hand_logits();
  return make_candidates(l.data(), 5);
}
}  // namespace

TEST_CASE("top-k keeps the k most likely, sorted") {
  Candidates c = hand_candidates();
  top_k(c, 2);
  REQUIRE(c.size() == 2);
  CHECK(c[0].id == 3);
  CHECK(c[1].id == 0);
  c = hand_candidates();
  top_k(c, 0);  // off
  CHECK(c.size() == 5);
  CHECK(c[4].id == 2);
  c = hand_candidates();
  top_k(c, 9);
  CHECK(c.size() == 5);
}

TEST_CASE("top-p keeps the smallest most-likely set whose probability reaches p") {
  auto kept = [](double p) {
    Candidates c = hand_candidates();
    top_p(c, p);
    return ids_of(c);
  };
  CHECK(kept(0.3) == std::set<int32_t>{3});           // 0.5 >= 0.3
  CHECK(kept(0.5) == std::set<int32_t>{3});           // reaching p exactly is enough
  CHECK(kept(0.69) == std::set<int32_t>{3, 0});       // 0.7
  CHECK(kept(0.71) == std::set<int32_t>{3, 0, 4});    // 0.85
  CHECK(kept(0.9) == std::set<int32_t>{3, 0, 4, 1});  // 0.95
  CHECK(kept(1.0).size() == 5);
  // After top-k the probabilities are renormalised over what is left: {0.5, 0.2} -> {5/7, 2/7}.
  Candidates c = hand_candidates();
  top_k(c, 2);
  top_p(c, 0.7);
  CHECK(ids_of(c) == std::set<int32_t>{3});  // 5/7 = 0.714 >= 0.7
}

TEST_CASE("min-p keeps tokens at least min_p times as likely as the best") {
  auto kept = [](double m) {
    Candidates c = hand_candidates();
    min_p(c, m);
    return ids_of(c);
  };
  CHECK(kept(0.0).size() == 5);
  CHECK(kept(0.25) == std::set<int32_t>{3, 0, 4});  // p >= 0.125
  CHECK(kept(0.35) == std::set<int32_t>{3, 0});     // p >= 0.175
  CHECK(kept(0.9) == std::set<int32_t>{3});
  CHECK(kept(1.0) == std::set<int32_t>{3});
}

TEST_CASE("repetition penalty: llama.cpp's rule over the last n tokens") {
  const std::vector<float> base = {2.f, -2.f, 0.5f, 3.f, 0.f};
  const std::vector<int32_t> history = {3, 1, 0, 1};  // last 3: {1, 0}
  std::vector<float> l = base;
  apply_repetition_penalty(l.data(), 5, history, 3, 1.5f);
  CHECK(l[0] == doctest::Approx(2.0 / 1.5));  // positive: divided
  CHECK(l[1] == doctest::Approx(-3.0));       // negative: multiplied (once, though seen twice)
  CHECK(l[2] == 0.5f);
  CHECK(l[3] == 3.f);  // outside the window
  l = base;
  apply_repetition_penalty(l.data(), 5, history, -1, 1.5f);  // whole history
  CHECK(l[3] == doctest::Approx(2.0));
  l = base;
  apply_repetition_penalty(l.data(), 5, history, 0, 1.5f);  // off
  CHECK(l == base);
  l = base;
  apply_repetition_penalty(l.data(), 5, {4}, 8, 1.5f);  // zero stays zero
  CHECK(l == base);
}

TEST_CASE("temperature sharpens or flattens: p_i proportional to p_i^(1/t)") {
  Candidates c = hand_candidates();
  temperature(c, 2.0);
  const auto p = probabilities(c);
  double norm = 0;
  for (auto [id, q] : kProb) norm += std::sqrt(q);
  for (size_t i = 0; i < c.size(); ++i) CHECK(p[i] == doctest::Approx(std::sqrt(kProb.at(c[i].id)) / norm));
  CHECK_THROWS_AS(temperature(c, 0.0), Error);
}

TEST_CASE("draw follows the cumulative distribution; argmax breaks ties by id") {
  Candidates c = hand_candidates();
  sort_candidates(c);  // 3, 0, 4, 1, 2
  CHECK(draw(c, 0.0) == 3);
  CHECK(draw(c, 0.49) == 3);
  CHECK(draw(c, 0.51) == 0);
  CHECK(draw(c, 0.86) == 1);
  CHECK(draw(c, 0.999) == 2);
  Candidates tie = {{5, 1.f}, {2, 1.f}, {7, 0.f}};
  CHECK(argmax(tie) == 2);
}

TEST_CASE("Sampler: greedy at temp 0 is the argmax after the penalty") {
  SamplerOptions o;
  o.temperature = 0;
  Sampler greedy(o);
  auto l = hand_logits();
  CHECK(greedy.sample(l.data(), 5, {}) == 3);
  // Logits: id 3 = log(0.5) + 1.7 = 1.007, id 0 = log(0.2) + 1.7 = 0.091. After saying 3:
  o.repeat_penalty = 10;  // 1.007 / 10 = 0.101 > 0.091: 3 still wins, narrowly
  Sampler penalised(o);
  CHECK(penalised.sample(l.data(), 5, {3}) == 3);
  o.repeat_penalty = 20;  // 0.050 < 0.091: now 0
  Sampler harder(o);
  CHECK(harder.sample(l.data(), 5, {3}) == 0);
}

TEST_CASE("Sampler: the chain's order and seeded reproducibility") {
  SamplerOptions o;
  o.temperature = 1.0;
  o.top_k = 3;     // {3, 0, 4}
  o.top_p = 0.75;  // of {0.5, 0.2, 0.15}/0.85: 0.588, 0.824 -> {3, 0}
  o.min_p = 0.0;
  o.seed = 42;
  auto l = hand_logits();
  Sampler a(o), b(o);
  std::vector<int32_t> sa, sb;
  int n3 = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    sa.push_back(a.sample(l.data(), 5, {}));
    sb.push_back(b.sample(l.data(), 5, {}));
    CHECK((sa.back() == 3 || sa.back() == 0));
    n3 += sa.back() == 3;
  }
  CHECK(sa == sb);  // same seed, same draws
  // P(3) = 0.5 / 0.7 = 0.714; 4000 draws: standard error 0.007
  CHECK(std::abs(n3 / double(n) - 0.5 / 0.7) < 0.03);
  o.seed = 43;
  Sampler c(o);
  std::vector<int32_t> sc;
  for (int i = 0; i < n; ++i) sc.push_back(c.sample(l.data(), 5, {}));
  CHECK(sc != sa);
  // Low temperature after the filters: almost always the best of {3, 0}.
  o.temperature = 0.05;
  Sampler cold(o);
  int best = 0;
  for (int i = 0; i < 200; ++i) best += cold.sample(l.data(), 5, {}) == 3;
  CHECK(best == 200);  // P(0) = (0.2/0.5)^20 ~ 1e-8
}

TEST_CASE("sampler options are validated, naming the setting") {
  auto fails = [](auto set, const char* setting) {
    SamplerOptions o;
    set(o);
    CHECK_THROWS_WITH_AS(validate_sampler_options(o), doctest::Contains(setting), Error);
  };
  fails([](SamplerOptions& o) { o.temperature = -0.1; }, "temperature is");
  fails([](SamplerOptions& o) { o.temperature = NAN; }, "temperature is");
  fails([](SamplerOptions& o) { o.top_k = -1; }, "top_k is");
  fails([](SamplerOptions& o) { o.top_p = 0; }, "top_p is");
  fails([](SamplerOptions& o) { o.top_p = 1.01; }, "top_p is");
  fails([](SamplerOptions& o) { o.min_p = -0.5; }, "min_p is");
  fails([](SamplerOptions& o) { o.min_p = 2; }, "min_p is");
  fails([](SamplerOptions& o) { o.repeat_penalty = 0; }, "repeat_penalty is");
  fails([](SamplerOptions& o) { o.repeat_last_n = -2; }, "repeat_last_n is");
  SamplerOptions ok;
  ok.top_p = 1;
  ok.min_p = 0;
  ok.top_k = 0;
  ok.temperature = 0;
  CHECK_NOTHROW(validate_sampler_options(ok));
}
