#pragma once
// Streaming token text to a terminal or a pipe: byte-fallback tokens carry one byte of a UTF-8
// character each, so a character may arrive over several tokens. Utf8Stream holds back an
// incomplete trailing sequence until it is complete, and turns bytes that can never form a
// character into U+FFFD, so what it emits is always valid UTF-8.
#include <string>
#include <string_view>

namespace ln {

class Utf8Stream {
 public:
  // Appends `piece`; returns the text that is now complete (possibly empty).
  std::string push(std::string_view piece);
  // The end of the text: whatever is still held back (an unfinished sequence becomes U+FFFD).
  std::string flush();
  size_t pending() const { return pending_.size(); }

 private:
  std::string pending_;
};

}  // namespace ln
