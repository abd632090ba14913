#include "data/retrieval_mixture.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "data/tokenizer.hpp"

namespace ln {

MixedRow mixed_row_kind(const RetrievalMix& mix, uint64_t row_seed) {
  DrawStream draw(row_seed);
  const double u = draw.unit();
  if (u < mix.copy) return MixedRow::copy;
  if (u < mix.copy + mix.passkey) return MixedRow::passkey;
  if (u < mix.copy + mix.passkey + mix.induction) return MixedRow::induction;
  return MixedRow::natural;
}

namespace {

void add_copies(DrawStream& draw, int32_t* window, int64_t length) {
  const int64_t events = std::max<int64_t>(1, length / 512);
  const int64_t longest = std::min<int64_t>(512, length / 4);
  if (longest < 16) return;  // too short a row to hold a passage twice with room between
  // A copy never overwrites an earlier copy's source, so every repeat keeps its first
  // occurrence (it may shorten an earlier repeat, which stays a repeat).
  std::vector<std::pair<int64_t, int64_t>> sources;  // [begin, end)
  for (int64_t e = 0; e < events; ++e) {
    for (int attempt = 0; attempt < 4; ++attempt) {
      const double lo = std::log(16.0), hi = std::log(static_cast<double>(longest));
      const int64_t n =
          std::clamp<int64_t>(std::llround(std::exp(lo + (hi - lo) * draw.unit())), 16, longest);
      const int64_t delta = draw.between(n, length - n);
      const int64_t d = draw.between(delta, length - n);
      const bool clobbers = std::any_of(sources.begin(), sources.end(),
                                        [&](const auto& src) { return d < src.second && src.first < d + n; });
      if (clobbers) continue;
      std::memmove(window + d, window + (d - delta), static_cast<size_t>(n) * sizeof(int32_t));
      sources.emplace_back(d - delta, d - delta + n);
      break;
    }
  }
}

void add_passkey(const RetrievalMix& mix, const RangeView& text, DrawStream& draw, int32_t* window,
                 int64_t length) {
  const int64_t shortest = std::min<int64_t>(256, length);
  const int64_t l = draw.between(shortest, length);
  const int64_t digits = draw.between(4, 6);
  const double depth = draw.unit();
  const uint64_t seed = draw.bits();
  // The template, the key and some haystack must fit, else the row keeps its text. " " + the
  // key encodes to at most digits + 1 ids (an ASCII character is one piece or one byte token).
  if (l < passkey_fixed_tokens(mix.passkey_template, digits + 1) + 16) return;
  const PasskeyDocument doc = make_passkey_document(text, mix.passkey_template, l, depth, digits, seed);
  std::copy(doc.tokens.begin(), doc.tokens.end(), window + (length - l));
}

void add_induction_runs(const std::vector<int32_t>& pieces, InductionReach reach, DrawStream& draw,
                        int32_t* window, int64_t length) {
  // The text's tokens drawn without order, or every piece alike (not copied per row).
  const std::vector<int32_t> own =
      pieces.empty() ? std::vector<int32_t>(window, window + length) : std::vector<int32_t>{};
  const std::vector<int32_t>& pool = pieces.empty() ? own : pieces;
  const auto n = static_cast<int64_t>(pool.size());
  auto random_token = [&] { return pool[static_cast<size_t>(draw.below(n))]; };
  if (reach == InductionReach::far) {
    for (int64_t at = 0; at < length; ++at) window[at] = random_token();
    add_copies(draw, window, length);
    return;
  }
  const double lo = std::log(8.0), hi = std::log(256.0);
  int64_t at = 0;
  while (at < length) {
    const int64_t room = length - at;
    if (room < 2 * 8) {  // too little left for a run and its repeat: random tokens
      for (; at < length; ++at) window[at] = random_token();
      break;
    }
    const int64_t m = std::min<int64_t>(room / 2, std::llround(std::exp(lo + (hi - lo) * draw.unit())));
    const int64_t gap = std::min<int64_t>(room - 2 * m, draw.below(m));
    for (int64_t i = 0; i < m; ++i) window[at + i] = random_token();
    for (int64_t i = 0; i < gap; ++i) window[at + m + i] = random_token();
    std::copy(window + at, window + at + m, window + at + m + gap);
    at += 2 * m + gap;
  }
}

}  // namespace

std::vector<int32_t> induction_pieces(const Tokenizer& tokenizer) {
  std::vector<int32_t> ids;
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id)
    if (id != tokenizer.unk_id() && id != tokenizer.bos_id() && id != tokenizer.eos_id()) ids.push_back(id);
  return ids;
}

MixedRow apply_retrieval_mix(const RetrievalMix& mix, const RangeView& text, uint64_t row_seed,
                             int32_t* window, int64_t length) {
  DrawStream draw(row_seed);
  const double u = draw.unit();  // mixed_row_kind's draw
  if (u < mix.copy) {
    add_copies(draw, window, length);
    return MixedRow::copy;
  }
  if (u < mix.copy + mix.passkey) {
    LN_CHECK(mix.passkey_template.encode,
             "[data] passkey rows need the passkey template (the run's tokenizer)");
    add_passkey(mix, text, draw, window, length);
    return MixedRow::passkey;
  }
  if (u < mix.copy + mix.passkey + mix.induction) {
    add_induction_runs(mix.induction_pieces, mix.induction_reach, draw, window, length);
    return MixedRow::induction;
  }
  return MixedRow::natural;
}

}  // namespace ln
