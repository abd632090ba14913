#pragma once
// Embedding lookup (row gather) and its deterministic scatter-add backward.
#include <cstdint>

namespace ln {

// weight: (V, C), ids: (N), out: (N, C). Throws ln::Error for an id outside [0, V).
void embedding_forward(const float* weight, const int32_t* ids, int64_t n, int64_t v, int64_t c, float* out);
// dweight: (V, C), written: dweight[k] = sum of dout[i] over rows i with ids[i] == k, summed in
// increasing i. Rows are bucketed by id first (counting sort), then each vocab row is summed
// by one thread, so the result is the same for any thread count. ids must be valid.
void embedding_backward(const float* dout, const int32_t* ids, int64_t n, int64_t v, int64_t c,
                        float* dweight);

}  // namespace ln
