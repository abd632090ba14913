#pragma once
// Counter-based randomness: a value is a pure function of (seed, counters), so any batch or
// split can be recomputed from its coordinates alone (a resumed run needs no RNG state).
#include <cstdint>

#include "core/splitmix64.hpp"

namespace ln {

inline uint64_t counter_hash(uint64_t seed, uint64_t a, uint64_t b = 0) {
  return splitmix64(splitmix64(splitmix64(seed) ^ a) ^ b);
}

// Uniform in [0, n) from 64 random bits (multiply-shift; bias below n / 2^64).
inline uint64_t uniform_below(uint64_t bits, uint64_t n) {
  return uint64_t((unsigned __int128)bits * n >> 64);
}

}  // namespace ln
