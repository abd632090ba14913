#pragma once
// Helpers of the distributed tests: identical random data on every rank, slicing a rank's
// positions out of a whole-sequence tensor, and a scale-aware comparison.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/tensor.hpp"

namespace ln::test {

inline std::vector<float> same_random(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> out(static_cast<size_t>(n));
  for (auto& x : out) x = dist(rng);
  return out;
}

// x: (A, T, D) -> rows [start, start + n) of every a: (A, n, D).
inline std::vector<float> slice_rows(const std::vector<float>& x, int64_t A, int64_t T, int64_t D,
                                     int64_t start, int64_t n) {
  std::vector<float> out(static_cast<size_t>(A * n * D));
  for (int64_t a = 0; a < A; ++a) std::copy_n(x.data() + (a * T + start) * D, n * D, out.data() + a * n * D);
  return out;
}

// ||a - b|| / ||b|| (2-norms, in double): the tensor's relative error. An elementwise ratio is
// meaningless for elements near zero that are sums computed in another order.
inline double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    diff += d * d;
    scale += static_cast<double>(b[i]) * b[i];
  }
  return scale > 0 ? std::sqrt(diff / scale) : std::sqrt(diff);
}

}  // namespace ln::test
