// The documents the probes and the training mixture build (data/retrieval_documents.hpp):
// their layout token by token, their determinism by seed, and their refusals.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/retrieval_documents.hpp"
#include "support/text_checks.hpp"

using namespace ln;

namespace {

// A text whose token i is 100 + i: every slice says where it came from.
struct Numbered {
  std::vector<uint32_t> tokens;
  RangeView view;
  explicit Numbered(int64_t n) : tokens(make(n)), view(tokens.data(), {{0, n}}) {}
  static std::vector<uint32_t> make(int64_t n) {
    std::vector<uint32_t> t(static_cast<size_t>(n));
    std::iota(t.begin(), t.end(), 100u);
    return t;
  }
};

std::vector<int32_t> slice(int64_t from, int64_t count) {
  std::vector<int32_t> s(static_cast<size_t>(count));
  std::iota(s.begin(), s.end(), static_cast<int32_t>(100 + from));
  return s;
}

std::vector<int32_t> join(std::initializer_list<std::vector<int32_t>> parts) {
  std::vector<int32_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A fake tokenizer for the template: one id per character, 1000 + the byte.
std::vector<int32_t> char_ids(const std::string& s) {
  std::vector<int32_t> ids;
  for (unsigned char c : s) ids.push_back(1000 + c);
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

}  // namespace

TEST_CASE("a copy document is [EOS] P F P, its control [EOS] Q F P, with Q apart from P and F") {
  const Numbered text(500);
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    const CopyDocument doc = make_copy_document(text.view, 7, 30, 2, seed);
    const int64_t a = doc.source, c = doc.other;
    CHECK(doc.passage == 7);
    CHECK(doc.gap == 30);
    CHECK(doc.second == 1 + 7 + 30);
    CHECK(doc.repeat == join({{2}, slice(a, 7), slice(a + 7, 30), slice(a, 7)}));
    CHECK(doc.control == join({{2}, slice(c, 7), slice(a + 7, 30), slice(a, 7)}));
    // Q shares no token with P F = text [a, a + 37).
    CHECK((c + 7 <= a || c >= a + 37));
    CHECK(c >= 0);
    CHECK(c + 7 <= 500);
  }
  // The same seed gives the same document; another seed another passage.
  const CopyDocument x = make_copy_document(text.view, 7, 30, 2, 5),
                     y = make_copy_document(text.view, 7, 30, 2, 5);
  CHECK(x.repeat == y.repeat);
  CHECK(x.control == y.control);
  CHECK(make_copy_document(text.view, 7, 30, 2, 6).repeat != x.repeat);
}

TEST_CASE("a copy document fits a text of exactly 2n + D tokens and refuses a shorter one") {
  const Numbered exact(2 * 5 + 9);
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const CopyDocument doc = make_copy_document(exact.view, 5, 9, 2, seed);
    // The only placements: P F at the start and Q at the end, or Q first and P F after it.
    CHECK(((doc.source == 0 && doc.other == 14) || (doc.source == 5 && doc.other == 0)));
  }
  const Numbered short_text(18);
  const std::string e = test::error_of([&] { make_copy_document(short_text.view, 5, 9, 2, 1); });
  CHECK(test::contains(e, "holds 18 tokens"));
  CHECK(test::contains(e, "at least 19"));
}

TEST_CASE(
    "a passkey window is exactly L tokens: the needle at the depth, the key spliced in twice and at the "
    "end") {
  const Numbered text(5000);
  const PasskeyTemplate t = char_template();
  for (double depth : {0.0, 0.3, 1.0}) {
    CAPTURE(depth);
    const PasskeyDocument doc = make_passkey_document(text.view, t, 400, depth, 5, 11);
    REQUIRE(doc.tokens.size() == 400u);
    CHECK(doc.key.size() == 5u);
    CHECK(doc.key[0] != '0');
    CHECK(std::all_of(doc.key.begin(), doc.key.end(), [](char c) { return c >= '0' && c <= '9'; }));
    const std::vector<int32_t> key = char_ids(" " + doc.key);
    const int64_t fixed = passkey_fixed_tokens(t, static_cast<int64_t>(key.size()));
    const int64_t haystack = 400 - fixed;
    CHECK(doc.needle == 1 + std::llround(depth * static_cast<double>(haystack)));
    CHECK(doc.tokens[0] == 2);
    // The haystack before the needle is consecutive text, and so is the part after it.
    const int32_t first = doc.tokens[1];
    const int64_t before = doc.needle - 1;
    if (before > 0)
      CHECK(std::vector<int32_t>(doc.tokens.begin() + 1, doc.tokens.begin() + doc.needle) ==
            slice(first - 100, before));
    const std::vector<int32_t> needle = join({t.needle_lead, key, t.needle_middle, key, t.needle_tail});
    CHECK(std::vector<int32_t>(doc.tokens.begin() + doc.needle,
                               doc.tokens.begin() + doc.needle + int64_t(needle.size())) == needle);
    // The answer is the key's ids, after the question, ending the window.
    CHECK(doc.answer == 400 - static_cast<int64_t>(key.size()));
    CHECK(std::vector<int32_t>(doc.tokens.begin() + doc.answer, doc.tokens.end()) == key);
    CHECK(std::vector<int32_t>(doc.tokens.begin() + doc.answer - int64_t(t.question.size()),
                               doc.tokens.begin() + doc.answer) == t.question);
  }
  const PasskeyDocument a = make_passkey_document(text.view, t, 400, 0.5, 5, 3);
  CHECK(a.tokens == make_passkey_document(text.view, t, 400, 0.5, 5, 3).tokens);
  CHECK(a.key != make_passkey_document(text.view, t, 400, 0.5, 5, 4).key);
}

TEST_CASE(
    "passkey refusals: a window too short for the template, a text too short for the haystack, a bad depth") {
  const Numbered text(100);
  const PasskeyTemplate t = char_template();
  CHECK(test::contains(test::error_of([&] { make_passkey_document(text.view, t, 50, 0.5, 5, 1); }),
                       "cannot hold the needle"));
  CHECK(test::contains(test::error_of([&] { make_passkey_document(text.view, t, 400, 0.5, 5, 1); }),
                       "the text holds 100 tokens"));
  CHECK(test::contains(test::error_of([&] { make_passkey_document(text.view, t, 200, 1.5, 5, 1); }),
                       "depth must be in [0, 1]"));
}

TEST_CASE("passkey_digits: the number of digits asked for, no leading zero, a function of the bits") {
  for (uint64_t bits = 0; bits < 50; ++bits) {
    const std::string k = passkey_digits(bits * 0x9E3779B97F4A7C15ull, 7);
    CHECK(k.size() == 7u);
    CHECK(k[0] >= '1');
    CHECK(k == passkey_digits(bits * 0x9E3779B97F4A7C15ull, 7));
  }
}
