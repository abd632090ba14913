#pragma once
// Reproducible test inputs: n floats drawn from N(0, 1) by std::mt19937 seeded with `seed`.
#include <cstdint>
#include <random>
#include <vector>

namespace ln::test {

inline std::vector<float> normal_floats(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = dist(rng);
  return x;
}

}  // namespace ln::test
