#include "kernels/dropout.hpp"

#include <algorithm>

#include "core/step_profile.hpp"
#include "kernels/parallel.hpp"

namespace ln {

namespace {

inline uint64_t mix64(uint64_t z) {  // splitmix64 finaliser, for the per-call key only
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// "lowbias32" (C. Wellons): a 32-bit bijection with good avalanche. 32-bit multiplies
// vectorise on AVX2 (vpmulld), 64-bit ones do not, so the per-element hash stays 32-bit.
inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

struct DropoutKey {
  uint32_t lo, hi;
};
inline DropoutKey key_of(uint64_t seed) {
  uint64_t k = mix64(seed);
  return {static_cast<uint32_t>(k), static_cast<uint32_t>(k >> 32)};
}

// 24 uniform bits for element i = hi * 2^32 + lo: two rounds, keyed by both halves of the
// mixed seed and fed both halves of the index (so tensors beyond 2^32 elements do not repeat
// the mask).
inline uint32_t draw24(DropoutKey key, uint32_t hi, uint32_t lo) {
  uint32_t h = mix32(lo ^ key.lo);
  h = mix32(h + (hi ^ key.hi));
  return h >> 8;
}
inline uint32_t draw24(DropoutKey key, int64_t i) {
  uint64_t u = static_cast<uint64_t>(i);
  return draw24(key, static_cast<uint32_t>(u >> 32), static_cast<uint32_t>(u));
}

inline uint32_t threshold24(float p) { return static_cast<uint32_t>(static_cast<double>(p) * 16777216.0); }

constexpr int64_t kDropoutBlock = 4096;

}  // namespace

bool dropout_keep(uint64_t seed, int64_t index, float p) {
  return draw24(key_of(seed), index) >= threshold24(p);
}

void dropout_apply(const float* x, int64_t n, float p, uint64_t seed, float* y) {
  const ProfileScope profile(ProfileCategory::elementwise);
  const DropoutKey key = key_of(seed);
  const uint32_t thr = threshold24(p);
  const float scale = 1.0f / (1.0f - p);
  par::for_rows((n + kDropoutBlock - 1) / kDropoutBlock, kDropoutBlock * 4, [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; ++blk) {
      // A block never straddles a multiple of 2^32 (kDropoutBlock divides it), so the high half of
      // the index is constant and the inner loop runs on 32-bit lanes only.
      const int64_t start = blk * kDropoutBlock;
      const int64_t len = std::min(kDropoutBlock, n - start);
      const uint32_t hi = static_cast<uint32_t>(static_cast<uint64_t>(start) >> 32);
      const uint32_t lo0 = static_cast<uint32_t>(static_cast<uint64_t>(start));
      const float* xs = x + start;
      float* ys = y + start;
      const DropoutKey k = key;  // locals, not captured references: the stores to ys must not be
      const uint32_t t = thr;    // assumed to alias them
      const float sc = scale;
      // Multiply by a selected constant rather than select a product: keeps the loop
      // if-convertible, hence vectorised.
#pragma omp simd
      for (int32_t j = 0; j < static_cast<int32_t>(len); ++j)
        ys[j] = xs[j] * (draw24(k, hi, lo0 + static_cast<uint32_t>(j)) >= t ? sc : 0.0f);
    }
  });
}

}  // namespace ln
