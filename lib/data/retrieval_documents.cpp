#include "data/retrieval_documents.hpp"

#include <cmath>

#include "core/error.hpp"
#include "data/counter_rng.hpp"
#include "data/tokenizer.hpp"

namespace ln {

uint64_t DrawStream::bits() { return counter_hash(seed_, counter_++); }

int64_t DrawStream::below(int64_t n) {
  LN_CHECK(n >= 1, "[draw] cannot draw below ", n);
  return static_cast<int64_t>(uniform_below(bits(), static_cast<uint64_t>(n)));
}

int64_t DrawStream::between(int64_t lo, int64_t hi) { return lo + below(hi - lo + 1); }

double DrawStream::unit() { return static_cast<double>(bits() >> 11) * 0x1.0p-53; }

namespace {

void append_text(const RangeView& text, int64_t offset, int64_t count, std::vector<int32_t>& out) {
  const size_t at = out.size();
  out.resize(at + static_cast<size_t>(count));
  text.copy(offset, count, out.data() + at);
}

void append(const std::vector<int32_t>& ids, std::vector<int32_t>& out) {
  out.insert(out.end(), ids.begin(), ids.end());
}

}  // namespace

// ---- copy ----------------------------------------------------------------------------------

int64_t copy_document_min_text(int64_t passage, int64_t gap) { return 2 * passage + gap; }

CopyDocument make_copy_document(const RangeView& text, int64_t passage, int64_t gap, int32_t eos,
                                uint64_t seed) {
  const int64_t n = passage, d = gap, size = text.size();
  LN_CHECK(n >= 1, "[copy] the passage must hold at least 1 token, got ", n);
  LN_CHECK(d >= 0, "[copy] the gap must be >= 0 tokens, got ", d);
  LN_CHECK(size >= copy_document_min_text(n, d), "[copy] the text holds ", size, " tokens; a passage of ", n,
           " tokens repeated after ", d, " more needs at least ", copy_document_min_text(n, d),
           " (the passage, the gap and another passage of the same length)");
  DrawStream draw(seed);
  // P F is text [a, a + n + d); Q starts at c in [0, a - n] or [a + n + d, size - n], so it
  // shares no token with them. a = 0 always leaves room on the right (size >= 2n + d); a few
  // uniform draws almost always leave room somewhere first.
  int64_t a = 0, left = 0, right = 0;
  for (int attempt = 0; attempt < 16; ++attempt) {
    a = draw.below(size - (n + d) + 1);
    left = std::max<int64_t>(0, a - n + 1);
    right = std::max<int64_t>(0, size - n - (a + n + d) + 1);
    if (left + right > 0) break;
  }
  if (left + right == 0) {
    a = 0;
    left = 0;
    right = size - 2 * n - d + 1;
  }
  const int64_t pick = draw.below(left + right);
  const int64_t c = pick < left ? pick : a + n + d + (pick - left);

  CopyDocument doc;
  doc.passage = n;
  doc.gap = d;
  doc.second = 1 + n + d;
  doc.source = a;
  doc.other = c;
  doc.repeat.reserve(static_cast<size_t>(1 + 2 * n + d));
  doc.repeat.push_back(eos);
  append_text(text, a, n + d, doc.repeat);
  append_text(text, a, n, doc.repeat);
  doc.control.reserve(doc.repeat.size());
  doc.control.push_back(eos);
  append_text(text, c, n, doc.control);
  append_text(text, a + n, d, doc.control);
  append_text(text, a, n, doc.control);
  return doc;
}

// ---- passkey -------------------------------------------------------------------------------

PasskeyTemplate passkey_template(const Tokenizer& tokenizer) {
  PasskeyTemplate t;
  t.needle_lead = tokenizer.encode("\nThe pass key is");
  t.needle_middle = tokenizer.encode(". Remember it.");
  t.needle_tail = tokenizer.encode(" is the pass key.\n");
  t.question = tokenizer.encode("\nWhat is the pass key? The pass key is");
  t.eos = tokenizer.eos_id();
  t.encode = [&tokenizer](const std::string& text) { return tokenizer.encode(text); };
  return t;
}

std::string passkey_digits(uint64_t bits, int64_t digits) {
  LN_CHECK(digits >= 1 && digits <= 18, "[passkey] a key has 1 to 18 digits, got ", digits);
  std::string key;
  for (int64_t i = 0; i < digits; ++i) {
    const uint64_t base = i == 0 ? 9 : 10;
    const uint64_t digit = bits % base;
    bits = splitmix64(bits);
    key.push_back(static_cast<char>('0' + (i == 0 ? 1 + digit : digit)));
  }
  return key;
}

int64_t passkey_fixed_tokens(const PasskeyTemplate& pieces, int64_t key_tokens) {
  return 1 +
         static_cast<int64_t>(pieces.needle_lead.size() + pieces.needle_middle.size() +
                              pieces.needle_tail.size() + pieces.question.size()) +
         3 * key_tokens;
}

PasskeyDocument make_passkey_document(const RangeView& text, const PasskeyTemplate& pieces, int64_t length,
                                      double depth, int64_t digits, uint64_t seed) {
  LN_CHECK(pieces.encode, "[passkey] the template has no encoder; build it with passkey_template");
  LN_CHECK(depth >= 0 && depth <= 1, "[passkey] depth must be in [0, 1], got ", depth);
  DrawStream draw(seed);
  PasskeyDocument doc;
  doc.key = passkey_digits(draw.bits(), digits);
  const std::vector<int32_t> key = pieces.encode(" " + doc.key);
  const int64_t fixed = passkey_fixed_tokens(pieces, static_cast<int64_t>(key.size()));
  LN_CHECK(length >= fixed, "[passkey] a window of ", length, " tokens cannot hold the needle, the question ",
           "and a key of ", digits, " digits (", fixed, " tokens without any haystack)");
  const int64_t haystack = length - fixed;
  LN_CHECK(text.size() >= haystack, "[passkey] the text holds ", text.size(), " tokens; a window of ", length,
           " tokens needs a haystack of ", haystack);
  const int64_t a = draw.below(text.size() - haystack + 1);
  const int64_t before = std::llround(depth * static_cast<double>(haystack));

  std::vector<int32_t>& t = doc.tokens;
  t.reserve(static_cast<size_t>(length));
  t.push_back(pieces.eos);
  append_text(text, a, before, t);
  doc.needle = static_cast<int64_t>(t.size());
  append(pieces.needle_lead, t);
  append(key, t);
  append(pieces.needle_middle, t);
  append(key, t);
  append(pieces.needle_tail, t);
  append_text(text, a + before, haystack - before, t);
  append(pieces.question, t);
  doc.answer = static_cast<int64_t>(t.size());
  append(key, t);
  LN_CHECK(static_cast<int64_t>(t.size()) == length, "[passkey] built ", t.size(), " tokens for a window of ",
           length);
  return doc;
}

}  // namespace ln
