#include "kernels/transpose.hpp"

#include <algorithm>
#include <cstring>

#include "core/step_profile.hpp"
#include "kernels/parallel.hpp"

namespace ln {

void transpose_copy(const float* x, int64_t a, int64_t m, int64_t b, int64_t n, int64_t k, float* y) {
  const ProfileScope profile(ProfileCategory::elementwise);
  constexpr int64_t kTile = 16;
  const int64_t m_tiles = (m + kTile - 1) / kTile;
  const int64_t x_row = b * n * k;  // x stride of one step in M
  const int64_t y_row = b * m * k;  // y stride of one step in N
  const int64_t n_tiles = (n + kTile - 1) / kTile;
  // One task = one 16 x 16 tile of one (a, b) slab, so both directions of a (T, H) swap
  // parallelise even when one of the two is small (H = 12 is a single tile).
  par::for_rows(a * b * m_tiles * n_tiles, kTile * kTile * k, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t nt = t % n_tiles;
      int64_t mt = (t / n_tiles) % m_tiles;
      int64_t bi = (t / (n_tiles * m_tiles)) % b;
      int64_t ai = t / (n_tiles * m_tiles * b);
      const float* xs = x + ai * m * x_row + bi * n * k;
      float* ys = y + ai * n * y_row + bi * m * k;
      int64_t m0 = mt * kTile, m1 = std::min(m, m0 + kTile);
      int64_t n0 = nt * kTile, n1 = std::min(n, n0 + kTile);
      if (k == 1) {
        for (int64_t ni = n0; ni < n1; ++ni)
          for (int64_t mi = m0; mi < m1; ++mi) ys[ni * y_row + mi] = xs[mi * x_row + ni];
      } else {
        for (int64_t mi = m0; mi < m1; ++mi)
          for (int64_t ni = n0; ni < n1; ++ni)
            std::memcpy(ys + ni * y_row + mi * k, xs + mi * x_row + ni * k,
                        static_cast<size_t>(k) * sizeof(float));
      }
    }
  });
}

}  // namespace ln
