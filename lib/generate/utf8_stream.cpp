#include "generate/utf8_stream.hpp"

#include <cstdint>

namespace ln {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the UTF-8 sequence that lead byte b starts (0: b cannot start one), and the
// allowed range of the second byte (Unicode's table 3-7: no overlongs, surrogates, > U+10FFFF).
int sequence_length(uint8_t b, uint8_t& lo, uint8_t& hi) {
  lo = 0x80;
  hi = 0xBF;
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return 2;
  if (b >= 0xE0 && b <= 0xEF) {
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
    return 3;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
    return 4;
  }
  return 0;
}

// Moves the complete prefix of `in` to the returned string; an incomplete (but so far valid)
// sequence at the end stays in `in` unless `final`.
std::string take_complete(std::string& in, bool final) {
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    uint8_t lo, hi;
    const int n = sequence_length(static_cast<uint8_t>(in[i]), lo, hi);
    if (n == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    size_t j = 1;  // bytes of the sequence that are present and valid
    bool bad = false;
    while (j < static_cast<size_t>(n) && i + j < in.size()) {
      const uint8_t c = static_cast<uint8_t>(in[i + j]);
      const bool ok = j == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xBF);
      if (!ok) {
        bad = true;
        break;
      }
      ++j;
    }
    if (bad) {  // the lead and its valid continuations can never complete: one U+FFFD for them
      out += kReplacement;
      i += j;
      continue;
    }
    if (j < static_cast<size_t>(n)) {  // cut by the end of what has arrived
      if (final) {
        out += kReplacement;
        i = in.size();
      }
      break;
    }
    out.append(in, i, static_cast<size_t>(n));
    i += static_cast<size_t>(n);
  }
  in.erase(0, i);
  return out;
}

}  // namespace

std::string Utf8Stream::push(std::string_view piece) {
  pending_.append(piece);
  return take_complete(pending_, false);
}

std::string Utf8Stream::flush() { return take_complete(pending_, true); }

}  // namespace ln
