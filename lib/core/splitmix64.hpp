#pragma once
// splitmix64 (Steele, Lea, Flood 2014): the one 64-bit mix every counter-based random stream
// of longnet builds on (data/counter_rng.hpp for batches and splits, nn/init.hpp for weights,
// dropout seeds in nn/). It lives in core, the lowest layer, so there is exactly one
// definition: changing it changes every run's batches and initial weights.
#include <cstdint>

namespace ln {

// One step of the splitmix64 generator as a pure function: the output for state x, i.e.
// splitmix64(0) is the generator's first output from seed 0 (0xE220A8397B1DCDAF). Bijective.
constexpr uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace ln
