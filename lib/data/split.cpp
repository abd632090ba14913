#include "data/split.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "data/counter_rng.hpp"

namespace ln {

int64_t total_tokens(const std::vector<TokenRange>& ranges) {
  int64_t total = 0;
  for (const TokenRange& r : ranges) total += r.size();
  return total;
}

namespace {
void append_range(std::vector<TokenRange>& ranges, int64_t begin, int64_t end) {
  if (!ranges.empty() && ranges.back().end == begin) {
    ranges.back().end = end;
  } else {
    ranges.push_back({begin, end});
  }
}
}  // namespace

DataSplit split_by_document(const std::vector<uint64_t>& document_offsets, double val_fraction,
                            uint64_t seed) {
  LN_CHECK(val_fraction >= 0.0 && val_fraction < 1.0, "[split] data.val_fraction is ", val_fraction,
           "; use a value in [0, 1), e.g. 0.05");
  LN_CHECK(document_offsets.size() >= 2, "[split] the token file has no documents");
  const int64_t documents = int64_t(document_offsets.size()) - 1;
  DataSplit split;
  if (val_fraction == 0.0) {
    split.train.push_back({0, int64_t(document_offsets.back())});
    return split;
  }
  if (documents == 1) {
    // One document: its tail is the validation text.
    const int64_t tokens = int64_t(document_offsets[1]);
    LN_CHECK(tokens >= 2,
             "[split] the corpus is a single token; it cannot be split into train and validation");
    const int64_t val = std::clamp<int64_t>(std::llround(val_fraction * double(tokens)), 1, tokens - 1);
    split.train.push_back({0, tokens - val});
    split.val.push_back({tokens - val, tokens});
    split.val_documents.push_back(0);
    return split;
  }
  const int64_t val_count =
      std::clamp<int64_t>(std::llround(val_fraction * double(documents)), 1, documents - 1);
  // Fisher-Yates with counter-based draws: the choice depends on (seed, documents) only.
  std::vector<int64_t> order(static_cast<size_t>(documents));
  std::iota(order.begin(), order.end(), 0);
  for (int64_t i = documents - 1; i > 0; --i) {
    const int64_t j = int64_t(uniform_below(counter_hash(seed, 0x5311u, uint64_t(i)), uint64_t(i + 1)));
    std::swap(order[size_t(i)], order[size_t(j)]);
  }
  std::vector<char> is_val(static_cast<size_t>(documents), 0);
  for (int64_t k = 0; k < val_count; ++k) is_val[size_t(order[size_t(k)])] = 1;
  for (int64_t d = 0; d < documents; ++d) {
    const auto begin = int64_t(document_offsets[size_t(d)]);
    const auto end = int64_t(document_offsets[size_t(d) + 1]);
    if (is_val[size_t(d)]) {
      append_range(split.val, begin, end);
      split.val_documents.push_back(d);
    } else {
      append_range(split.train, begin, end);
    }
  }
  return split;
}

}  // namespace ln
