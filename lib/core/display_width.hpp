#pragma once
// The display width of UTF-8 text in a terminal table: one column per code point (the ± sign
// is one column, three bytes). Enough for the text longnet prints; no wide (CJK) characters.
#include <cstddef>
#include <string>

namespace ln {

inline size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace ln
