#pragma once
// Counter-based randomness: a value is a pure function of (seed, counters), so any batch or
// split can be recomputed from its coordinates alone (a resumed run needs no RNG state).
#include <cstdint>

namespace ln {

// splitmix64's finalizer (Steele, Lea, Flood 2014): a bijective 64-bit mix.
inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint64_t counter_hash(uint64_t seed, uint64_t a, uint64_t b = 0) {
  return splitmix64(splitmix64(splitmix64(seed) ^ a) ^ b);
}

// Uniform in [0, n) from 64 random bits (multiply-shift; bias below n / 2^64).
inline uint64_t uniform_below(uint64_t bits, uint64_t n) {
  return uint64_t((unsigned __int128)bits * n >> 64);
}

}  // namespace ln
