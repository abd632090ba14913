#include "kernels/attention/positions.hpp"

#include <cmath>
#include <vector>

#include "core/parallel_for.hpp"

namespace ln {

void rotate_pairs(const float* x, float* y, int64_t rows, int64_t T, int64_t D, int64_t pos0, float base,
                  bool inverse) {
  const int64_t half = D / 2;
  std::vector<double> inv_freq(static_cast<size_t>(half));
  for (int64_t j = 0; j < half; ++j) inv_freq[j] = std::pow(static_cast<double>(base), -2.0 * j / D);
  // One (cos, sin) table per block of times, shared by all rows (heads) of the block.
  constexpr int64_t kBlock = 64;
  ln::parallel_for(int64_t{0}, (T + kBlock - 1) / kBlock, [&](int64_t blk) {
    const int64_t t0 = blk * kBlock, t1 = std::min(T, t0 + kBlock);
    std::vector<float> cs(static_cast<size_t>((t1 - t0) * half * 2));
    for (int64_t t = t0; t < t1; ++t) {
      const double pos = static_cast<double>(pos0 + t);
      for (int64_t j = 0; j < half; ++j) {
        const double angle = pos * inv_freq[j];
        cs[((t - t0) * half + j) * 2] = static_cast<float>(std::cos(angle));
        cs[((t - t0) * half + j) * 2 + 1] = static_cast<float>(inverse ? -std::sin(angle) : std::sin(angle));
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t t = t0; t < t1; ++t) {
        const float* in = x + (r * T + t) * D;
        float* out = y + (r * T + t) * D;
        const float* c = cs.data() + (t - t0) * half * 2;
        for (int64_t j = 0; j < half; ++j) {
          const float a = in[2 * j], b = in[2 * j + 1], co = c[2 * j], si = c[2 * j + 1];
          out[2 * j] = a * co - b * si;
          out[2 * j + 1] = b * co + a * si;
        }
        if (D % 2 == 1 && out != in) out[D - 1] = in[D - 1];
      }
    }
  });
}

double xpos_zeta(int64_t j, int64_t D, double gamma) {
  return (2.0 * static_cast<double>(j) + gamma * static_cast<double>(D)) /
         ((1.0 + gamma) * static_cast<double>(D));
}

void xpos_decay_table(float* table, int64_t n, int64_t D, int64_t dp, double centre, double gamma,
                      double scale_base, bool keys) {
  std::vector<double> log_zeta(static_cast<size_t>(D / 2));
  for (int64_t j = 0; j < D / 2; ++j) log_zeta[j] = std::log(xpos_zeta(j, D, gamma));
  const double sign = keys ? -1.0 : 1.0;
  ln::parallel_for(int64_t{0}, n, [&](int64_t o) {
    const double e = sign * (static_cast<double>(o) - centre) / scale_base;
    float* row = table + o * dp;
    for (int64_t t = 0; t < dp; ++t)
      row[t] = t < 2 * (D / 2) ? static_cast<float>(std::exp(e * log_zeta[t / 2])) : 0.f;
  });
}

}  // namespace ln
