// The training mixture of synthetic retrieval rows (data/retrieval_mixture.hpp): on a text whose
// every token is distinct, a natural window repeats nothing, so each repeat in a row is one the
// mixture made, and its shape can be checked against the documented rules.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "data/batch_sampler.hpp"
#include "data/retrieval_mixture.hpp"

using namespace ln;

namespace {

// Token i has value 1000 + i: distinct, and above the template's ids below.
std::vector<uint32_t> numbered(size_t n) {
  std::vector<uint32_t> t(n);
  std::iota(t.begin(), t.end(), 1000u);
  return t;
}

std::vector<int32_t> char_ids(const std::string& s) {
  std::vector<int32_t> ids;
  for (unsigned char c : s) ids.push_back(3 + c);  // 3 .. 258: below the text's ids
  return ids;
}

PasskeyTemplate char_template() {
  PasskeyTemplate t;
  t.needle_lead = char_ids("\nThe pass key is");
  t.needle_middle = char_ids(". Remember it.");
  t.needle_tail = char_ids(" is the pass key.\n");
  t.question = char_ids("\nWhat is the pass key? The pass key is");
  t.eos = 2;
  t.encode = char_ids;
  return t;
}

// The row (T + 1 tokens) of `b`: inputs then the last target.
std::vector<int32_t> row_of(const Batch& b, int64_t row) {
  std::vector<int32_t> r(b.inputs.begin() + row * b.seq, b.inputs.begin() + (row + 1) * b.seq);
  r.push_back(b.targets[static_cast<size_t>((row + 1) * b.seq - 1)]);
  return r;
}

}  // namespace

TEST_CASE(
    "mixture: copy rows repeat passages of 16..512 tokens of their own text, at a distance >= the passage") {
  const auto tokens = numbered(200000);
  const int64_t T = 8191;  // rows of 8192 tokens: 8192 / 512 = 16 copies each
  BatchSampler sampler(tokens.data(), {{0, 200000}}, 8, T, 7);
  BatchSampler plain(tokens.data(), {{0, 200000}}, 8, T, 7);
  sampler.mix_in({1.0, 0.0, 0.0, {}, {}});
  int64_t copies = 0, far = 0;
  for (int64_t step = 0; step < 4; ++step) {
    const Batch mixed = sampler.batch(step), natural = plain.batch(step);
    for (int64_t b = 0; b < 8; ++b) {
      const std::vector<int32_t> row = row_of(mixed, b), base = row_of(natural, b);
      // Every token that differs from the window equals a token further back in the row.
      std::map<int32_t, int64_t> first_seen;
      for (int64_t i = 0; i < T + 1; ++i) {
        if (row[size_t(i)] != base[size_t(i)]) {
          auto it = first_seen.find(row[size_t(i)]);
          REQUIRE(it != first_seen.end());
          CHECK(it->second < i);
        }
        first_seen.emplace(row[size_t(i)], i);
      }
      // Maximal runs of copied tokens: each run is a passage copied with one distance.
      for (int64_t i = 0; i < T + 1;) {
        if (row[size_t(i)] == base[size_t(i)]) {
          ++i;
          continue;
        }
        const int64_t delta = i - first_seen[row[size_t(i)]];
        int64_t j = i;
        while (j < T + 1 && row[size_t(j)] != base[size_t(j)] && j - first_seen[row[size_t(j)]] == delta) ++j;
        const int64_t n = j - i;
        CHECK(n <= 512);
        CHECK(delta >= n);  // a copy never overlaps its source
        copies += 1;
        far += delta > (T + 1) / 4;
        i = j;
      }
    }
  }
  // 32 rows x 16 copies (a copy that would clobber a source is redrawn up to 4 times, then
  // dropped; a later copy may split or shorten an earlier one).
  CHECK(copies >= 400);
  CHECK(copies <= 700);
  CHECK(far * 10 >= copies * 6);  // about three quarters reach beyond T / 4
}

TEST_CASE("mixture: a passkey row ends in the question and the key told in a needle earlier in the row") {
  const auto tokens = numbered(100000);
  const PasskeyTemplate t = char_template();
  const int64_t T = 2047;
  BatchSampler sampler(tokens.data(), {{0, 100000}}, 16, T, 3);
  sampler.mix_in({0.0, 1.0, 0.0, t, {}});
  const Batch batch = sampler.batch(5);
  int64_t short_rows = 0;
  for (int64_t b = 0; b < 16; ++b) {
    CAPTURE(b);
    const std::vector<int32_t> row = row_of(batch, b);
    // The question precedes the answer; the answer is " " + 4..6 digits.
    const auto q = std::search(row.begin(), row.end(), t.question.begin(), t.question.end());
    REQUIRE(q != row.end());
    const std::vector<int32_t> answer(q + int64_t(t.question.size()), row.end());
    REQUIRE(answer.size() >= 5u);
    REQUIRE(answer.size() <= 7u);
    CHECK(answer[0] == 3 + ' ');
    for (size_t i = 1; i < answer.size(); ++i) CHECK((answer[i] >= 3 + '0' && answer[i] <= 3 + '9'));
    // The needle, with the same key twice, stands before the question.
    std::vector<int32_t> needle = t.needle_lead;
    needle.insert(needle.end(), answer.begin(), answer.end());
    needle.insert(needle.end(), t.needle_middle.begin(), t.needle_middle.end());
    needle.insert(needle.end(), answer.begin(), answer.end());
    const auto n = std::search(row.begin(), q, needle.begin(), needle.end());
    CHECK(n != q);
    // The passkey document starts with EOS somewhere in the row; shorter ones leave text before it.
    const auto eos = std::find(row.begin(), n, 2);
    CHECK(eos != n);
    short_rows += eos != row.begin();
  }
  CHECK(short_rows > 0);
}

TEST_CASE("mixture: rows keep their kind shares, their windows, and are a function of (seed, step, row)") {
  const auto tokens = numbered(50000);
  const int64_t T = 511, B = 400;
  BatchSampler mixed(tokens.data(), {{0, 50000}}, B, T, 11);
  mixed.mix_in({0.5, 0.2, 0.0, char_template(), {}});
  const Batch a = mixed.batch(3);
  // Filling from another first row gives the same rows (data-parallel ranks, accumulation).
  BatchSampler one(tokens.data(), {{0, 50000}}, 1, T, 11);
  one.mix_in({0.5, 0.2, 0.0, char_template(), {}});
  for (int64_t r : {0, 17, 399}) CHECK(row_of(one.batch(3, r), 0) == row_of(a, r));
  // Kinds: a copy row has a repeated token, a passkey row an EOS; natural rows neither.
  int64_t copy = 0, passkey = 0;
  BatchSampler plain(tokens.data(), {{0, 50000}}, B, T, 11);
  const Batch base = plain.batch(3);
  for (int64_t b = 0; b < B; ++b) {
    const auto row = row_of(a, b);
    if (std::find(row.begin(), row.end(), 2) != row.end()) {
      ++passkey;
    } else if (row != row_of(base, b)) {
      ++copy;
    }
    // The window the row started from is the plain sampler's: its first token is unchanged
    // unless a passkey document fills the whole row.
    if (row[0] != 2) CHECK(row[0] == row_of(base, b)[0]);
  }
  CHECK(copy > B * 0.5 - 40);
  CHECK(copy < B * 0.5 + 40);
  CHECK(passkey > B * 0.2 - 30);
  CHECK(passkey < B * 0.2 + 30);
}

// Walks an induction row's runs: the row is covered by [run, gap, run] blocks, run lengths
// 8..256, gaps shorter than their run; read back greedily (the next m tokens repeat after gap
// g). Checks that most of the row is a run or its repeat.
void check_runs_repeat(const std::vector<int32_t>& row) {
  const auto n = static_cast<int64_t>(row.size());
  int64_t at = 0, covered = 0;
  while (at + 16 <= n) {
    bool found = false;
    for (int64_t m = std::min<int64_t>(256, (n - at) / 2); m >= 8 && !found; --m)
      for (int64_t g = 0; g < m && at + 2 * m + g <= n && !found; ++g)
        if (std::equal(row.begin() + at, row.begin() + at + m, row.begin() + at + m + g)) {
          covered += 2 * m;
          at += 2 * m + g;
          found = true;
        }
    REQUIRE(found);
  }
  CHECK(covered * 10 >= n * 6);
}

TEST_CASE("mixture: an induction row is runs of the window's own tokens, each repeated after a shorter gap") {
  const auto tokens = numbered(100000);
  const int64_t T = 2047;
  BatchSampler sampler(tokens.data(), {{0, 100000}}, 6, T, 5);
  BatchSampler plain(tokens.data(), {{0, 100000}}, 6, T, 5);
  sampler.mix_in({0.0, 0.0, 1.0, {}, {}});
  const Batch mixed = sampler.batch(2), base = plain.batch(2);
  for (int64_t b = 0; b < 6; ++b) {
    CAPTURE(b);
    const std::vector<int32_t> row = row_of(mixed, b), window = row_of(base, b);
    // Every token comes from the row's own window.
    const std::set<int32_t> own(window.begin(), window.end());
    for (int32_t t : row) CHECK(own.count(t) == 1);
    check_runs_repeat(row);
  }
}

TEST_CASE("mixture: uniform induction rows draw every piece alike, never the window's text") {
  const auto tokens = numbered(100000);  // ids 1000 and up
  const int64_t T = 4095;
  std::vector<int32_t> pieces(50);
  std::iota(pieces.begin(), pieces.end(), 3);  // ids 3 .. 52
  BatchSampler sampler(tokens.data(), {{0, 100000}}, 4, T, 9);
  RetrievalMix mix{0.0, 0.0, 1.0, {}, pieces};
  sampler.mix_in(mix);
  const Batch mixed = sampler.batch(0);
  std::map<int32_t, int64_t> counts;
  for (int64_t b = 0; b < 4; ++b) {
    CAPTURE(b);
    const std::vector<int32_t> row = row_of(mixed, b);
    for (int32_t t : row) {
      REQUIRE(t >= 3);
      REQUIRE(t <= 52);
      ++counts[t];
    }
    check_runs_repeat(row);
  }
  // 16,384 draws over 50 ids: every id appears, none more than twice its share (copies double
  // a run's tokens, so shares are uneven, but not by that much).
  CHECK(counts.size() == 50);
  for (auto [id, count] : counts) {
    CAPTURE(id);
    CHECK(count < 2 * 4 * (T + 1) / 50);
  }
}

TEST_CASE(
    "mixture: far induction rows are random pieces throughout, their runs repeated far back as copies") {
  const auto tokens = numbered(100000);
  const int64_t T = 8191;
  // A pool so large that two adjacent random draws recur by chance about once in 300 rows:
  // every recurring pair of tokens is a placed repeat.
  std::vector<int32_t> pieces(1000000);
  std::iota(pieces.begin(), pieces.end(), 200000);
  BatchSampler sampler(tokens.data(), {{0, 100000}}, 4, T, 11);
  RetrievalMix mix{0.0, 0.0, 1.0, {}, pieces, InductionReach::far};
  sampler.mix_in(mix);
  const Batch mixed = sampler.batch(3);
  int64_t runs = 0, far = 0, repeated = 0;
  for (int64_t b = 0; b < 4; ++b) {
    CAPTURE(b);
    const std::vector<int32_t> row = row_of(mixed, b);
    for (int32_t t : row) REQUIRE(t >= 200000);  // no token of the window's text is left
    std::map<std::pair<int32_t, int32_t>, int64_t> first_seen;
    std::vector<int64_t> delta(row.size(), 0);  // 0: the pair at i is new
    for (size_t i = 0; i + 1 < row.size(); ++i) {
      auto [it, fresh] = first_seen.emplace(std::make_pair(row[i], row[i + 1]), int64_t(i));
      if (!fresh) delta[i] = int64_t(i) - it->second;
    }
    // Maximal stretches of one distance: a run and where its copy lies.
    for (size_t i = 0; i < delta.size();) {
      if (delta[i] == 0) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < delta.size() && delta[j] == delta[i]) ++j;
      const int64_t n = int64_t(j - i) + 1;  // pairs i .. j-1 cover tokens i .. j
      CHECK(n <= 512);
      CHECK(delta[i] >= n);  // a copy never overlaps its source
      runs += 1;
      far += delta[i] > (T + 1) / 4;
      repeated += n;
      i = j;
    }
  }
  // 4 rows x 16 runs (redrawn or dropped when they would clobber a source, split when a later
  // one lands inside): repeats reach across the row, most of them beyond T / 4, unlike the near
  // runs (within 512 tokens).
  CHECK(runs >= 50);
  CHECK(runs <= 100);
  CHECK(far * 10 >= runs * 6);
  CHECK(repeated * 100 >= 15 * 4 * (T + 1));  // about a quarter of the rows' tokens are repeats
}
