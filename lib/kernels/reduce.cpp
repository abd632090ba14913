#include "kernels/reduce.hpp"

#include <cstring>
#include <vector>

#include "core/step_profile.hpp"
#include "kernels/parallel.hpp"

namespace ln {

double sum_all(const float* x, int64_t n) {
  const ProfileScope profile(ProfileCategory::elementwise);
  int64_t chunks = par::fixed_chunks(n / 256 + 1);
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
  par::for_rows(chunks, n / chunks, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      double s = 0.0;
      int64_t e = par::chunk_begin(n, chunks, k + 1);
#pragma omp simd reduction(+ : s)
      for (int64_t i = par::chunk_begin(n, chunks, k); i < e; ++i) s += x[i];
      partial[k] = s;
    }
  });
  double total = 0.0;
  for (double p : partial) total += p;
  return total;
}

void sum_dim(const float* x, int64_t outer, int64_t d, int64_t inner, float* y) {
  const ProfileScope profile(ProfileCategory::elementwise);
  // Each output row y[o] is owned by one task; inner stays the contiguous vector loop.
  par::for_rows(outer, d * inner, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      float* yo = y + o * inner;
      std::memset(yo, 0, static_cast<size_t>(inner) * sizeof(float));
      for (int64_t j = 0; j < d; ++j) {
        const float* xj = x + (o * d + j) * inner;
#pragma omp simd
        for (int64_t i = 0; i < inner; ++i) yo[i] += xj[i];
      }
    }
  });
}

void expand_dim(const float* g, int64_t outer, int64_t d, int64_t inner, float* y) {
  const ProfileScope profile(ProfileCategory::elementwise);
  par::for_rows(outer * d, inner, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      std::memcpy(y + r * inner, g + (r / d) * inner, static_cast<size_t>(inner) * sizeof(float));
  });
}

void row_argmax(const float* x, int64_t n, int64_t v, int32_t* out) {
  const ProfileScope profile(ProfileCategory::elementwise);
  par::for_rows(n, v, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = x + r * v;
      int64_t best = 0;
      // `!(row[best] >= row[j])` would let a NaN win; only a strictly larger number moves it.
      for (int64_t j = 1; j < v; ++j)
        if (row[j] > row[best] || (row[best] != row[best] && row[j] == row[j])) best = j;
      out[r] = static_cast<int32_t>(best);
    }
  });
}

}  // namespace ln
