#include "kernels/dropout.hpp"

#include "kernels/parallel.hpp"

namespace ln {

namespace {

inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Element i draws the i-th output of a splitmix64 stream whose start is the mixed seed.
// 24 random bits compared against p * 2^24: exact for p on a 2^-24 grid.
inline uint32_t draw24(uint64_t base, int64_t i) {
  return static_cast<uint32_t>(mix64(base + 0x9e3779b97f4a7c15ULL * (static_cast<uint64_t>(i) + 1)) >> 40);
}

inline uint32_t threshold24(float p) { return static_cast<uint32_t>(static_cast<double>(p) * 16777216.0); }

constexpr int64_t kBlock = 4096;

}  // namespace

bool dropout_keep(uint64_t seed, int64_t index, float p) {
  return draw24(mix64(seed), index) >= threshold24(p);
}

void dropout_apply(const float* x, int64_t n, float p, uint64_t seed, float* y) {
  const uint64_t base = mix64(seed);
  const uint32_t thr = threshold24(p);
  const float scale = 1.0f / (1.0f - p);
  par::for_rows((n + kBlock - 1) / kBlock, kBlock * 4, [&](int64_t b0, int64_t b1) {
    int64_t end = b1 * kBlock < n ? b1 * kBlock : n;
    for (int64_t i = b0 * kBlock; i < end; ++i) y[i] = draw24(base, i) >= thr ? x[i] * scale : 0.0f;
  });
}

}  // namespace ln
