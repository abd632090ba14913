#include "kernels/embedding.hpp"

#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "core/step_profile.hpp"
#include "kernels/parallel.hpp"

namespace ln {

void embedding_forward(const float* weight, const int32_t* ids, int64_t n, int64_t v, int64_t c, float* out) {
  const ProfileScope profile(ProfileCategory::elementwise);
  for (int64_t i = 0; i < n; ++i) {
    LN_CHECK(ids[i] >= 0 && ids[i] < v, "[embedding] id ", ids[i], " at position ", i,
             " is outside the table of V = ", v,
             " rows; check the tokenizer's vocab size against the model's");
  }
  par::for_rows(n, c, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i)
      std::memcpy(out + i * c, weight + static_cast<int64_t>(ids[i]) * c,
                  static_cast<size_t>(c) * sizeof(float));
  });
}

void embedding_backward(const float* dout, const int32_t* ids, int64_t n, int64_t v, int64_t c,
                        float* dweight) {
  const ProfileScope profile(ProfileCategory::elementwise);
  // Counting sort of row indices by id: rows_of[start[k] .. start[k+1]) lists, in increasing
  // order, the rows whose id is k.
  std::vector<int64_t> start(static_cast<size_t>(v) + 1, 0);
  for (int64_t i = 0; i < n; ++i) ++start[static_cast<size_t>(ids[i]) + 1];
  for (int64_t k = 0; k < v; ++k) start[k + 1] += start[k];
  std::vector<int64_t> rows_of(static_cast<size_t>(n));
  {
    std::vector<int64_t> fill(start.begin(), start.end() - 1);
    for (int64_t i = 0; i < n; ++i) rows_of[fill[ids[i]]++] = i;
  }
  // Work per vocab row is c * (1 + occurrences); use the average for the grain.
  par::for_rows(v, c * (1 + n / (v > 0 ? v : 1)), [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      float* dw = dweight + k * c;
      std::memset(dw, 0, static_cast<size_t>(c) * sizeof(float));
      for (int64_t p = start[k]; p < start[k + 1]; ++p) {
        const float* g = dout + rows_of[p] * c;
#pragma omp simd
        for (int64_t j = 0; j < c; ++j) dw[j] += g[j];
      }
    }
  });
}

}  // namespace ln
