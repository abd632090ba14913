#pragma once
// The modelled communication curve of `bench dist --model --svg`: bytes the busiest rank
// receives per layer (forward) against the sequence length, for the sparsified gather and, for
// contrast, for gathering every key and value of the segment unsparsified.
#include <cstdint>
#include <string>
#include <vector>

namespace ln::parallel {

struct CommPoint {
  int64_t ranks = 0, seq = 0;
  double sparse_bytes = 0;  // LongNet's gather (w/r constant)
  double dense_bytes = 0;   // the same segments gathered without sparsification
};

// A self-contained SVG document (log2 x: N, log10 y: bytes).
std::string comm_model_svg(const std::vector<CommPoint>& points, const std::string& subtitle);

}  // namespace ln::parallel
