#include "kernels/causal_conv.hpp"

#include <algorithm>
#include <vector>

#include "core/step_profile.hpp"
#include "kernels/parallel.hpp"

namespace ln {

void causal_conv_forward(const float* x, const float* taps, const CausalConvShape& s, float* y) {
  const ProfileScope profile(ProfileCategory::elementwise);
  const int64_t rows = s.B * s.H, T = s.T, D = s.D, C = s.H * s.D;
  // One (b, h) sequence per row of work: its T x D block, read K times from cache.
  par::for_rows(rows, T * D * s.K, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t h = r % s.H;
      const float* xr = x + r * T * D;
      float* yr = y + r * T * D;
      for (int64_t t = 0; t < T; ++t) {
        float* yt = yr + t * D;
        const float* xt = xr + t * D;
#pragma omp simd
        for (int64_t d = 0; d < D; ++d) yt[d] = xt[d];
        for (int64_t k = 1; k < s.K && k <= t; ++k) {
          const float* w = taps + (k - 1) * C + h * D;
          const float* xp = xt - k * D;
#pragma omp simd
          for (int64_t d = 0; d < D; ++d) yt[d] += w[d] * xp[d];
        }
      }
    }
  });
}

void causal_conv_backward(const float* x, const float* taps, const float* dy, const CausalConvShape& s,
                          float* dx, float* dtaps) {
  const ProfileScope profile(ProfileCategory::elementwise);
  const int64_t rows = s.B * s.H, T = s.T, D = s.D, C = s.H * s.D, KC = (s.K - 1) * C;
  // Each fixed chunk of (b, h) rows writes its dx rows and its own dtaps partial (KC floats,
  // only its heads' columns non-zero); the partials are summed in chunk order.
  const int64_t chunks = par::fixed_chunks(rows, 16);
  std::vector<float> partial(dtaps ? static_cast<size_t>(chunks * KC) : 0, 0.0f);
  par::for_rows(chunks, (rows / chunks) * T * D * s.K, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      for (int64_t r = par::chunk_begin(rows, chunks, c); r < par::chunk_begin(rows, chunks, c + 1); ++r) {
        const int64_t h = r % s.H;
        const float* xr = x + r * T * D;
        const float* gr = dy + r * T * D;
        if (dx) {
          float* dxr = dx + r * T * D;
          for (int64_t t = 0; t < T; ++t) {
            float* o = dxr + t * D;
            const float* g = gr + t * D;
#pragma omp simd
            for (int64_t d = 0; d < D; ++d) o[d] = g[d];
            for (int64_t k = 1; k < s.K && t + k < T; ++k) {
              const float* w = taps + (k - 1) * C + h * D;
              const float* gn = g + k * D;
#pragma omp simd
              for (int64_t d = 0; d < D; ++d) o[d] += w[d] * gn[d];
            }
          }
        }
        if (dtaps) {
          for (int64_t k = 1; k < s.K; ++k) {
            float* acc = partial.data() + c * KC + (k - 1) * C + h * D;
            for (int64_t t = k; t < T; ++t) {
              const float* g = gr + t * D;
              const float* xp = xr + (t - k) * D;
#pragma omp simd
              for (int64_t d = 0; d < D; ++d) acc[d] += g[d] * xp[d];
            }
          }
        }
      }
    }
  });
  if (!dtaps) return;
  std::fill(dtaps, dtaps + KC, 0.0f);
  for (int64_t c = 0; c < chunks; ++c) {
    const float* p = partial.data() + c * KC;
#pragma omp simd
    for (int64_t j = 0; j < KC; ++j) dtaps[j] += p[j];
  }
}

}  // namespace ln
