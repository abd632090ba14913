// The vectorised buffer conversions against core/bf16.hpp's scalar rounding, bit for bit.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "core/splitmix64.hpp"
#include "kernels/bf16_convert.hpp"

using namespace ln;

namespace {
float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
uint32_t to_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
}  // namespace

TEST_CASE("convert_to_bf16 and round_to_bf16 give core/bf16.hpp's bits for every kind of float") {
  std::vector<float> x = {0.0f,
                          -0.0f,
                          1.0f,
                          1.0f + 0x1p-8f,      // a tie: to even, 1
                          1.0f + 3 * 0x1p-8f,  // a tie: to even, 1 + 2^-6
                          1.0f + 0x1p-8f + 0x1p-20f,
                          std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::max(),  // rounds up to infinity
                          std::numeric_limits<float>::denorm_min(),
                          std::numeric_limits<float>::quiet_NaN(),
                          from_bits(0x7f800001u),  // signalling NaN whose payload is only in the low bits
                          from_bits(0xff812345u)};
  uint64_t state = 7;
  while (x.size() < 100003) x.push_back(from_bits(static_cast<uint32_t>(splitmix64(state++))));
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<bf16> y(x.size());
  std::vector<float> r(x.size());
  convert_to_bf16(x.data(), y.data(), n);
  round_to_bf16(x.data(), r.data(), n);
  int64_t mismatches = 0;
  for (int64_t i = 0; i < n; ++i) {
    const bf16 want(x[i]);
    mismatches += y[i].bits != want.bits;
    mismatches += to_bits(r[i]) != static_cast<uint32_t>(want.bits) << 16;
  }
  CHECK(mismatches == 0);
  // Hand-computed: ties go to the even neighbour; NaNs stay NaN, max float overflows.
  CHECK(static_cast<float>(y[3]) == 1.0f);
  CHECK(static_cast<float>(y[4]) == 1.0f + 0x1p-6f);
  CHECK(static_cast<float>(y[5]) == 1.0f + 0x1p-7f);
  CHECK(std::isinf(static_cast<float>(y[8])));
  CHECK(std::isnan(static_cast<float>(y[11])));
  CHECK(std::isnan(r[12]));
  // In place.
  std::vector<float> z(x.begin(), x.begin() + 1001);
  round_to_bf16(z.data(), z.data(), 1001);
  for (int i = 0; i < 1001; ++i) CHECK(to_bits(z[i]) == to_bits(r[i]));
}
