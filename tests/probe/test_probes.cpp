// The probes' scoring (lib/probe): each number against a direct computation with the model,
// and a model that cannot see past its segment scoring a ratio of exactly 1 beyond it.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "autograd/var.hpp"
#include "core/error.hpp"
#include "data/counter_rng.hpp"
#include "data/retrieval_documents.hpp"
#include "nn/language_model.hpp"
#include "probe/copy_probe.hpp"
#include "probe/ngram_copier.hpp"
#include "probe/passkey_probe.hpp"

using namespace ln;

namespace {

ModelSpec tiny_spec() {
  ModelSpec s;
  s.vocab_size = 31;
  s.d_model = 16;
  s.layers = 2;
  s.heads = 2;
  s.mlp_ratio = 2;
  s.attention.kind = AttentionKind::dilated;
  s.attention.segments = {8, 16};
  s.attention.dilations = {1, 2};
  s.attention.positions = PositionKind::rope;
  s.init_std = 0.5f;  // far from uniform predictions, so any mix-up shows
  return s;
}

struct Text {
  std::vector<uint32_t> tokens;
  RangeView view;
  explicit Text(int64_t n, int32_t vocab) : tokens(make(n, vocab)), view(tokens.data(), {{0, n}}) {}
  static std::vector<uint32_t> make(int64_t n, int32_t vocab) {
    std::vector<uint32_t> t(static_cast<size_t>(n));
    uint64_t x = 99;
    for (auto& id : t) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      id = static_cast<uint32_t>(3 + (x >> 33) % static_cast<uint64_t>(vocab - 3));
    }
    return t;
  }
};

// −ln p(doc[t] | doc[0, t)) for every t >= 1, from one plain forward of the whole document.
std::vector<double> direct_losses(const LanguageModel& model, const std::vector<int32_t>& doc) {
  const int64_t T = static_cast<int64_t>(doc.size()) - 1;
  std::vector<int32_t> ids(doc.begin(), doc.end() - 1), targets(doc.begin() + 1, doc.end());
  const Tensor l = model.token_losses(ids, targets, 1, T);
  return std::vector<double>(l.data(), l.data() + T);  // index t - 1 is token t
}

// The ideal n-token copier at position i, the slow way: every earlier position j whose n tokens
// before it equal i's votes for tokens[j]; right for 1/(number tied) when tokens[i] has the most.
double naive_copier_hit(const std::vector<int32_t>& tokens, int64_t n, int64_t i) {
  std::vector<std::pair<int32_t, int64_t>> votes;
  for (int64_t j = n; j < i; ++j) {
    if (!std::equal(tokens.begin() + (j - n), tokens.begin() + j, tokens.begin() + (i - n))) continue;
    auto it = std::find_if(votes.begin(), votes.end(), [&](const auto& v) { return v.first == tokens[j]; });
    if (it == votes.end())
      votes.emplace_back(tokens[j], 1);
    else
      ++it->second;
  }
  int64_t best = 0, tied = 0, mine = 0;
  for (const auto& [token, count] : votes) {
    if (count > best) best = count, tied = 0;
    if (count == best) ++tied;
    if (token == tokens[i]) mine = count;
  }
  return best > 0 && mine == best ? 1.0 / static_cast<double>(tied) : 0.0;
}

}  // namespace

TEST_CASE("the ideal n-token copier: hand-computed predictions") {
  // Before the last 2: "1" was followed by 2 and by 3 (a tie), "5 1" only by 2, "3 5 1" never.
  const std::vector<int32_t> t = {5, 1, 2, 6, 1, 3, 5, 1, 2};
  CHECK(ngram_copier_hits(t, 1, 8, 9) == 0.5);
  CHECK(ngram_copier_hits(t, 2, 8, 9) == 1.0);
  CHECK(ngram_copier_hits(t, 3, 8, 9) == 0.0);
  // Every position of the whole list by the 1-token copier: only the 1 after "5" at 7 (5 was
  // followed by 1 once) and the last 2 (the tie) score.
  CHECK(ngram_copier_hits(t, 1, 1, 9) == 1.5);
  CHECK(ngram_copier_hits(t, 1, 1, 1) == 0.0);             // an empty range
  CHECK_THROWS_AS(ngram_copier_hits(t, 2, 1, 9), Error);   // position 1 has no 2 tokens before it
  CHECK_THROWS_AS(ngram_copier_hits(t, 1, 3, 10), Error);  // past the end
}

TEST_CASE("copy probe: the losses are the model's own on the documents, and the ratio their quotient") {
  const LanguageModel model(tiny_spec(), 7);
  const Text text(400, 31);
  ProbeModels models(model, false, Precision::fp32);
  CopyProbeSettings s;
  s.distances = {3, 20};
  s.passage = 6;
  s.samples = 3;
  s.alignments = 2;
  s.seed = 9;
  const auto rows = run_copy_probe(models, text.view, 2, s);
  REQUIRE(rows.size() == 2);
  for (size_t k = 0; k < rows.size(); ++k) {
    double repeat = 0, fresh = 0, copier[kCopierOrders] = {};
    int64_t count = 0;
    for (int64_t smp = 0; smp < s.samples; ++smp) {
      const CopyDocument doc = make_copy_document(
          text.view, 6, s.distances[k] + smp % 2, 2,
          counter_hash(9, static_cast<uint64_t>(s.distances[k]), static_cast<uint64_t>(smp)));
      const auto lr = direct_losses(model, doc.repeat), lc = direct_losses(model, doc.control);
      for (int64_t i = 1; i < 6; ++i) {
        repeat += lr[static_cast<size_t>(doc.second + i - 1)];
        fresh += lc[static_cast<size_t>(doc.second + i - 1)];
        ++count;
        for (int order = 1; order <= kCopierOrders; ++order)
          copier[order - 1] += naive_copier_hit(doc.repeat, order, doc.second + i);
      }
    }
    CAPTURE(k);
    CHECK(rows[k].predictions == count);
    CHECK(rows[k].loss_repeat == doctest::Approx(repeat / double(count)).epsilon(1e-6));
    CHECK(rows[k].loss_new == doctest::Approx(fresh / double(count)).epsilon(1e-6));
    CHECK(rows[k].ratio == doctest::Approx(repeat / fresh).epsilon(1e-6));
    for (int order = 1; order <= kCopierOrders; ++order) {
      CAPTURE(order);
      CHECK(rows[k].copier_repeat[order - 1] == doctest::Approx(copier[order - 1] / double(count)));
    }
    CHECK(rows[k].copier_repeat[0] > 0);  // the passage repeats: a copier gets some of it
  }
}

TEST_CASE("copy probe: beyond the widest segment the first copy is out of reach, so the ratio is exactly 1") {
  // Segments of 8 and 16 tokens: a document [EOS] P F P with n = 4 and D = 12 puts the second
  // P at tokens [17, 21), all in the second 16-token segment of every pattern, and the first
  // copy in the first. With D = 2 both copies share the first segment.
  const LanguageModel model(tiny_spec(), 3);
  const Text text(300, 31);
  ProbeModels models(model, false, Precision::fp32);
  CopyProbeSettings s;
  s.passage = 4;
  s.samples = 4;
  s.alignments = 1;
  s.distances = {12, 2};
  const auto rows = run_copy_probe(models, text.view, 2, s);
  CHECK(rows[0].loss_repeat == rows[0].loss_new);  // bit for bit: nothing differs in reach
  CHECK(rows[0].ratio == 1.0);
  CHECK(rows[0].greedy_repeat == rows[0].greedy_new);
  CHECK(rows[1].ratio != 1.0);  // within reach the first copy changes the predictions
  // A window of n + D = 6 tokens holds F and the second P only: at D = 2 exactly 1 as well.
  s.window = 6;
  s.distances = {2};
  CHECK(run_copy_probe(models, text.view, 2, s)[0].ratio == 1.0);
}

TEST_CASE("passkey probe: log-probability and greedy success are the model's own on the key tokens") {
  const LanguageModel model(tiny_spec(), 5);
  const Text text(2000, 31);
  PasskeyTemplate t;  // a template in the model's small vocabulary: one id per character class
  auto encode = [](const std::string& s) {
    std::vector<int32_t> ids;
    for (unsigned char c : s) ids.push_back(c >= '0' && c <= '9' ? 3 + (c - '0') : 13 + c % 18);
    return ids;
  };
  t.needle_lead = encode("\nThe pass key is");
  t.needle_middle = encode(". Remember it.");
  t.needle_tail = encode(" is the pass key.\n");
  t.question = encode("\nWhat is the pass key? The pass key is");
  t.eos = 2;
  t.encode = encode;
  ProbeModels models(model, false, Precision::fp32);
  PasskeyProbeSettings s;
  s.lengths = {160, 200};
  s.depths = {0.0, 0.5};
  s.samples = 3;
  s.digits = 4;
  s.seed = 4;
  s.batch_tokens = 400;  // two windows per forward: batches and single windows both run
  const auto cells = run_passkey_probe(models, text.view, t, s);
  REQUIRE(cells.size() == 4);
  for (size_t li = 0; li < 2; ++li)
    for (size_t di = 0; di < 2; ++di) {
      const PasskeyCell& cell = cells[li * 2 + di];
      CHECK(cell.length == s.lengths[li]);
      CHECK(cell.depth == s.depths[di]);
      double logprob = 0;
      int64_t found = 0;
      for (int64_t smp = 0; smp < 3; ++smp) {
        const uint64_t seed =
            counter_hash(4, static_cast<uint64_t>(s.lengths[li]), di * 1000003 + static_cast<uint64_t>(smp));
        const PasskeyDocument doc = make_passkey_document(text.view, t, s.lengths[li], s.depths[di], 4, seed);
        const auto losses = direct_losses(model, doc.tokens);
        // Greedy: every key token is the argmax of its row of logits.
        std::vector<int32_t> ids(doc.tokens.begin(), doc.tokens.end() - 1);
        NoGradGuard no_grad;
        const Tensor logits = model.logits(ids, 1, static_cast<int64_t>(ids.size())).value();
        bool all = true;
        for (int64_t tok = doc.answer; tok < s.lengths[li]; ++tok) {
          logprob -= losses[static_cast<size_t>(tok - 1)];
          const float* row = logits.data() + (tok - 1) * 31;
          const int64_t best = std::max_element(row, row + 31) - row;
          all = all && best == doc.tokens[static_cast<size_t>(tok)];
        }
        found += all;
      }
      CAPTURE(li);
      CAPTURE(di);
      CHECK(cell.logprob == doctest::Approx(logprob / 3).epsilon(1e-5));
      CHECK(cell.found == found);
      CHECK(cell.accuracy == doctest::Approx(double(found) / 3));
    }
}

TEST_CASE("the default grids: distances up to what fits the context, lengths up to the longest") {
  CHECK(default_copy_distances(1024, 256, 8) == std::vector<int64_t>{64, 128, 256, 504});
  CHECK(default_copy_distances(600, 256, 8) == std::vector<int64_t>{64, 80});
  CHECK(default_copy_distances(500, 256, 8).empty());
  CHECK(default_passkey_lengths(8192) == std::vector<int64_t>{1024, 2048, 4096, 8192});
  CHECK(default_passkey_lengths(3000) == std::vector<int64_t>{1024, 2048, 3000});
}
