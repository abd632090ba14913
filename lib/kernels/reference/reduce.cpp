#include "kernels/reference/reduce.hpp"

#include <cmath>

namespace ln::reference {

double sum_all(const float* x, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += x[i];
  return s;
}

void sum_dim(const float* x, int64_t outer, int64_t d, int64_t inner, float* y) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double s = 0;
      for (int64_t j = 0; j < d; ++j) s += x[(o * d + j) * inner + i];
      y[o * inner + i] = static_cast<float>(s);
    }
}

void expand_dim(const float* g, int64_t outer, int64_t d, int64_t inner, float* y) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < d; ++j)
      for (int64_t i = 0; i < inner; ++i) y[(o * d + j) * inner + i] = g[o * inner + i];
}

void row_argmax(const float* x, int64_t n, int64_t v, int32_t* out) {
  for (int64_t r = 0; r < n; ++r) {
    int32_t best = -1;
    for (int64_t j = 0; j < v; ++j) {
      const float value = x[r * v + j];
      if (std::isnan(value)) continue;
      if (best < 0 || value > x[r * v + best]) best = static_cast<int32_t>(j);
    }
    out[r] = best < 0 ? 0 : best;
  }
}

void copy_rows(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows,
               int64_t len) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < len; ++j) dst[r * dst_stride + j] = src[r * src_stride + j];
}

}  // namespace ln::reference
