#include "kernels/bf16_convert.hpp"

#include <cstring>

#include "core/step_profile.hpp"
#include "kernels/parallel.hpp"

namespace ln {

namespace {

// core/bf16.hpp's rounding (nearest even, NaN kept quiet) without its branch, so the loops
// below vectorise: the same bits for every input (tests/kernels hold the two together).
inline uint16_t bf16_bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  return static_cast<uint16_t>((u & 0x7fffffffu) > 0x7f800000u ? ((u >> 16) | 0x40u) : rounded);
}

inline float widened(uint16_t bits) {
  const uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float out;
  std::memcpy(&out, &wide, sizeof out);
  return out;
}

}  // namespace

void convert_to_bf16(const float* x, bf16* y, int64_t n) {
  const ProfileScope profile(ProfileCategory::conversion);
  static_assert(sizeof(bf16) == sizeof(uint16_t));
  par::for_rows(n, 1, [&](int64_t b, int64_t e) {
    uint16_t* out = reinterpret_cast<uint16_t*>(y);  // bf16 is exactly its 16 bits
#pragma omp simd
    for (int64_t i = b; i < e; ++i) out[i] = bf16_bits(x[i]);
  });
}

void round_to_bf16(const float* x, float* y, int64_t n) {
  const ProfileScope profile(ProfileCategory::conversion);
  par::for_rows(n, 1, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) y[i] = widened(bf16_bits(x[i]));
  });
}

}  // namespace ln
