#pragma once
// Plain-loop twins of kernels/reduce.hpp and kernels/copy_rows.hpp.
#include <cstdint>

namespace ln::reference {
double sum_all(const float* x, int64_t n);
void sum_dim(const float* x, int64_t outer, int64_t d, int64_t inner, float* y);
void expand_dim(const float* g, int64_t outer, int64_t d, int64_t inner, float* y);
void row_argmax(const float* x, int64_t n, int64_t v, int32_t* out);
void copy_rows(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows,
               int64_t len);
}  // namespace ln::reference
