#pragma once
// Sums: over everything (to a scalar) and along one dimension, plus the broadcast back that
// their gradients need; and each row's argmax. Deterministic for any thread count (fixed chunks, see
// parallel.hpp).
#include <cstdint>

namespace ln {

// Sum of x[0..n), accumulated in double per fixed chunk, chunks combined in order.
double sum_all(const float* x, int64_t n);
// x: (O, D, I) -> y: (O, I), y[o, i] = sum_d x[o, d, i] (summed in increasing d).
void sum_dim(const float* x, int64_t outer, int64_t d, int64_t inner, float* y);
// g: (O, I) -> y: (O, D, I), y[o, d, i] = g[o, i].
void expand_dim(const float* g, int64_t outer, int64_t d, int64_t inner, float* y);
// x: (N, V) -> out: (N), out[i] = the index of row i's largest value, the lowest index among
// equal maxima (greedy decoding's rule, generate/sampling_filters.hpp). NaN is never chosen
// over a number.
void row_argmax(const float* x, int64_t n, int64_t v, int32_t* out);

}  // namespace ln
