#pragma once
// Train/validation split by document: deterministic from (seed, val_fraction), exposed as
// token ranges of the token file. A document's range includes its trailing EOS.
#include <cstdint>
#include <vector>

namespace ln {

struct TokenRange {
  int64_t begin = 0;
  int64_t end = 0;  // exclusive
  int64_t size() const { return end - begin; }
  bool operator==(const TokenRange&) const = default;
};

int64_t total_tokens(const std::vector<TokenRange>& ranges);

struct DataSplit {
  std::vector<TokenRange> train;  // sorted, non-overlapping, adjacent documents merged
  std::vector<TokenRange> val;
  std::vector<int64_t> val_documents;  // indices of the validation documents, ascending
};

// document_offsets: n+1 offsets of n documents (TokenFile::document_offsets()).
// With n >= 2 documents and val_fraction > 0, round(val_fraction * n) documents chosen by a
// seeded shuffle go to validation, clamped so that each side has at least one. With one
// document, its last round(val_fraction * tokens) tokens (at least 1, and leaving at least
// 1) are validation. val_fraction = 0 gives an empty validation split.
DataSplit split_by_document(const std::vector<uint64_t>& document_offsets, double val_fraction,
                            uint64_t seed);

}  // namespace ln
