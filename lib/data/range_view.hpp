#pragma once
// Several token ranges of a token file read as one sequence: the train or validation split as
// the sampler sees it, or a text's tokens as the probes draw passages from them.
#include <cstdint>
#include <vector>

#include "data/split.hpp"

namespace ln {

class RangeView {
 public:
  RangeView(const uint32_t* tokens, std::vector<TokenRange> ranges);
  int64_t size() const { return size_; }
  // out[0 .. count) = view[offset .. offset + count)
  void copy(int64_t offset, int64_t count, int32_t* out) const;

 private:
  const uint32_t* tokens_;
  std::vector<TokenRange> ranges_;
  std::vector<int64_t> starts_;  // view offset of each range
  int64_t size_ = 0;
};

}  // namespace ln
