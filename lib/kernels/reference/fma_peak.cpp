#include "kernels/reference/fma_peak.hpp"

#include <cmath>

#include "core/bf16.hpp"
#include "kernels/fma_peak.hpp"

namespace ln::reference {

void peak_fma(int64_t iters, int accumulators, int lanes, float a, float b, float* out) {
  for (int j = 0; j < accumulators; ++j) {
    for (int l = 0; l < lanes; ++l) {
      float acc = peak_start_value(j, l, lanes);
      for (int64_t i = 0; i < iters; ++i) acc = std::fma(acc, a, b);
      out[j * lanes + l] = acc;
    }
  }
}

void peak_bf16_dot(int64_t iters, int accumulators, int lanes, float a, float b, float* out) {
  const float ar = static_cast<float>(bf16(a)), br = static_cast<float>(bf16(b));
  for (int j = 0; j < accumulators; ++j) {
    for (int l = 0; l < lanes; ++l) {
      float acc = peak_start_value(j, l, lanes);
      for (int64_t i = 0; i < iters; ++i) acc = acc + (ar * br + ar * br);
      out[j * lanes + l] = acc;
    }
  }
}

int64_t peak_flops(int64_t iters, int accumulators, int lanes, bool bf16_dot) {
  int64_t flops = 0;
  for (int64_t i = 0; i < iters; ++i) {
    for (int j = 0; j < accumulators; ++j) {
      for (int l = 0; l < lanes; ++l) {
        flops += 2;                // a multiply and an add
        if (bf16_dot) flops += 2;  // the pair's second multiply and add
      }
    }
  }
  return flops;
}

}  // namespace ln::reference
