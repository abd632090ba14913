// Utf8Stream: whole characters out, however the bytes are split; invalid bytes become U+FFFD.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "data/corpus.hpp"
#include "generate/utf8_stream.hpp"

using namespace ln;

namespace {
const std::string kFffd = "\xEF\xBF\xBD";

// Feeds `bytes` one byte per push; returns what each push emitted, then the flush.
std::vector<std::string> byte_by_byte(const std::string& bytes) {
  Utf8Stream s;
  std::vector<std::string> out;
  for (char c : bytes) out.push_back(s.push(std::string(1, c)));
  out.push_back(s.flush());
  return out;
}
}  // namespace

TEST_CASE("multi-byte characters are held back until complete") {
  // "é" (2 bytes), "€" (3), "🙂" (4), each split into single-byte pieces like byte fallback.
  auto out = byte_by_byte("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x99\x82z");
  const std::vector<std::string> expected = {"a", "", "\xC3\xA9",         "",  "", "\xE2\x82\xAC", "",
                                             "",  "", "\xF0\x9F\x99\x82", "z", ""};
  CHECK(out == expected);
  Utf8Stream s;
  CHECK(s.push("na\xC3") == "na");
  CHECK(s.pending() == 1);
  CHECK(s.push("\xAFve") == "\xC3\xAFve");
  CHECK(s.pending() == 0);
}

TEST_CASE("bytes that can never form a character become U+FFFD; output is always valid UTF-8") {
  struct Case {
    std::string in, out;
  };
  const std::vector<Case> cases = {
      {"\xFF", kFffd},                                      // never a UTF-8 byte
      {"\x80x", kFffd + "x"},                               // continuation without a lead
      {"\xC3x", kFffd + "x"},                               // lead followed by ASCII
      {"\xC0\x80", kFffd + kFffd},                          // overlong lead
      {"\xE0\x80\x80", kFffd + kFffd + kFffd},              // overlong 3-byte form
      {"\xED\xA0\x80", kFffd + kFffd + kFffd},              // surrogate U+D800
      {"\xF4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd},  // above U+10FFFF
      {"\xE2\x82", kFffd},                                  // cut by the end of the text (flush)
      {"ok\xE2\x82\xACok", "ok\xE2\x82\xACok"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.in);
    Utf8Stream s;
    std::string got = s.push(c.in);
    got += s.flush();
    CHECK(got == c.out);
    CHECK(find_invalid_utf8(got) == -1);
    std::string split;  // the same bytes one at a time give the same text
    for (const auto& piece : byte_by_byte(c.in)) split += piece;
    CHECK(split == c.out);
  }
}
