#pragma once
// Branch-free exp and erf written as plain scalar code so that loops calling them
// auto-vectorise (selects only between values already computed, see below).
// libm's expf/erff are not vectorised without -ffast-math, and these kernels are
// bound by exactly these calls (softmax, cross-entropy, GELU).
#include <cmath>
#include <cstdint>
#include <cstring>

namespace ln::vmath {

// exp(x), relative error ~2e-7 (Cephes expf polynomial on [-ln2/2, ln2/2]), gradual
// underflow to exactly 0 (so exp(-inf) == 0, as softmax masking needs), saturating at
// exp(88.7). No select depends on a computed arm: under -ftrapping-math GCC refuses to
// if-convert those and the calling loop stays scalar. Underflow therefore comes from
// applying 2^n as two factors 2^(n/2) 2^(n - n/2), each a normal float.
inline float exp(float x) {
  // Two independent one-sided clamps joined by the sign: chained clamps get jump-threaded
  // into branches and the loop stays scalar.
  float upper = x > 88.7f ? 88.7f : x;
  float lower = x < -104.0f ? -104.0f : x;
  float xc = x > 0.0f ? upper : lower;
  // Round to nearest by the 1.5 * 2^23 trick (std::floor does not vectorise without
  // -fno-trapping-math); valid because |xc * log2 e| < 2^22.
  float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t ni = static_cast<int32_t>(n);
  int32_t n1 = ni >> 1;
  int32_t e1 = (n1 + 127) << 23;
  int32_t e2 = (ni - n1 + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &e1, sizeof s1);
  std::memcpy(&s2, &e2, sizeof s2);
  return p * s1 * s2;
}

// erf(x), absolute error < 4e-7 (Abramowitz & Stegun 7.1.26 on |x|, odd extension), and the
// Gaussian exp(-x²) it computes on the way: GELU's derivative needs exactly that factor, so
// taking it from here saves a second exp per element.
inline float erf_and_gaussian(float x, float& gaussian) {
  float a = x < 0.0f ? -x : x;
  float t = 1.0f / (1.0f + 0.3275911f * a);
  float poly =
      t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  gaussian = exp(-a * a);
  float y = 1.0f - poly * gaussian;
  return y * (x < 0.0f ? -1.0f : 1.0f);
}

inline float erf(float x) {
  float unused;
  return erf_and_gaussian(x, unused);
}

}  // namespace ln::vmath
