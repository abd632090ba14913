#pragma once
// The token buffers of the training data path (the step's inputs and targets, the sampler's row
// scratch), counted: a distributed rank holds only its slice of every sequence (DESIGN §4), and
// tests hold the bytes live at once to that (tests/parallel, token buffers per rank).
#include <cstdint>
#include <vector>

namespace ln {

class TokenBuffer {
 public:
  explicit TokenBuffer(int64_t tokens);
  ~TokenBuffer();
  TokenBuffer(const TokenBuffer&) = delete;
  TokenBuffer& operator=(const TokenBuffer&) = delete;

  int32_t* data() { return tokens_.data(); }
  const std::vector<int32_t>& tokens() const { return tokens_; }
  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }

  // Bytes of every TokenBuffer alive now, and their peak since reset_peak().
  static int64_t live_bytes();
  static int64_t peak_bytes();
  static void reset_peak();

 private:
  std::vector<int32_t> tokens_;
};

}  // namespace ln
