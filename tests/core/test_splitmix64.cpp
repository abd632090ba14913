// ln::splitmix64 against the published output of the reference generator (Vigna's
// splitmix64.c, state advanced by 0x9E3779B97F4A7C15 before each mix): seeded with 0 it yields
// e220a8397b1dcdaf, 6e789e6aa1b965f4, 06c45d188009454f. Every batch, split and initial weight
// depends on this function, so a changed constant must fail here, not as a silent drift.
#include <doctest/doctest.h>

#include <cstdint>

#include "core/splitmix64.hpp"

TEST_CASE("splitmix64 equals the reference generator's outputs from seed 0") {
  constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;
  CHECK(ln::splitmix64(0) == 0xE220A8397B1DCDAFull);
  CHECK(ln::splitmix64(kGolden) == 0x6E789E6AA1B965F4ull);
  CHECK(ln::splitmix64(2 * kGolden) == 0x06C45D188009454Full);
}

TEST_CASE("splitmix64 is usable at compile time and wraps modulo 2^64") {
  static_assert(ln::splitmix64(0) == 0xE220A8397B1DCDAFull);
  // State -golden wraps to 0 before the mix: the finaliser of 0 is 0.
  CHECK(ln::splitmix64(0 - 0x9E3779B97F4A7C15ull) == 0);
}
