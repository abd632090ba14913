#include "data/range_view.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace ln {

RangeView::RangeView(const uint32_t* tokens, std::vector<TokenRange> ranges)
    : tokens_(tokens), ranges_(std::move(ranges)) {
  for (const TokenRange& r : ranges_) {
    LN_CHECK(r.begin >= 0 && r.end >= r.begin, "[data] bad token range [", r.begin, ", ", r.end, ")");
    starts_.push_back(size_);
    size_ += r.size();
  }
}

void RangeView::copy(int64_t offset, int64_t count, int32_t* out) const {
  LN_CHECK(offset >= 0 && count >= 0 && offset + count <= size_, "[data] window [", offset, ", ",
           offset + count, ") is outside the split of ", size_, " tokens");
  // The range holding `offset`: the last one starting at or before it.
  size_t r = size_t(std::upper_bound(starts_.begin(), starts_.end(), offset) - starts_.begin()) - 1;
  while (count > 0) {
    while (ranges_[r].size() == 0 || offset - starts_[r] >= ranges_[r].size()) ++r;
    const int64_t within = offset - starts_[r];
    const int64_t take = std::min(count, ranges_[r].size() - within);
    const uint32_t* src = tokens_ + ranges_[r].begin + within;
    for (int64_t i = 0; i < take; ++i) out[i] = int32_t(src[i]);
    out += take;
    offset += take;
    count -= take;
  }
}

}  // namespace ln
