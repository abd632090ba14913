// The AVX-512 loops of the peak probe (fma_peak.hpp): fp32 FMA and, where the CPU has
// AVX512-BF16, vdpbf16ps. Each function carries its own target attribute, so the rest of the
// binary stays AVX2; fma_peak.cpp calls them only after cpu_features.hpp's checks.
//
// 16 accumulators (of 32 zmm registers) cover latency x throughput of both instructions on
// the CPUs we know (FMA: 4 cycles x 2 pipes; vdpbf16ps: at most 6 x 2), with room for the two
// constants. The fully unrolled inner loop keeps them in registers (no loads or stores in the
// timed loop: `objdump -d` of this file shows 16 vfmadd/vdpbf16ps and the loop branch).
#include <immintrin.h>

#include <cstdint>

#include "core/bf16.hpp"
#include "kernels/fma_peak_internal.hpp"

namespace ln::peak {

namespace {
constexpr int kAcc = 16;

// Accumulator j, lane l starts at j * 16 + l (peak_start_value). Inlined, so the accumulators
// stay registers of the caller.
__attribute__((target("avx512f"), always_inline)) inline void start_values(__m512 (&acc)[kAcc]) {
  const __m512 iota = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
#pragma GCC unroll 16
  for (int j = 0; j < kAcc; ++j) acc[j] = _mm512_add_ps(_mm512_set1_ps(static_cast<float>(j * 16)), iota);
}

}  // namespace

// acc = fma(acc, a, b)
__attribute__((target("avx512f,fma"))) void fma_avx512(int64_t iters, float a, float b, float* out) {
  __m512 acc[kAcc];
  start_values(acc);
  const __m512 va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int j = 0; j < kAcc; ++j) acc[j] = _mm512_fmadd_ps(acc[j], va, vb);
  }
  for (int j = 0; j < kAcc; ++j) _mm512_storeu_ps(out + 16 * j, acc[j]);
}

// acc += a * b + a * b per fp32 lane, a and b rounded to bf16 (vdpbf16ps on the pairs (a, a), (b, b))
__attribute__((target("avx512f,avx512bf16"))) void dot_avx512bf16(int64_t iters, float a, float b,
                                                                  float* out) {
  __m512 acc[kAcc];
  start_values(acc);
  const uint32_t pa = static_cast<uint32_t>(bf16(a).bits) * 0x10001u;
  const uint32_t pb = static_cast<uint32_t>(bf16(b).bits) * 0x10001u;
  const __m512bh va = (__m512bh)_mm512_set1_epi32(static_cast<int>(pa));
  const __m512bh vb = (__m512bh)_mm512_set1_epi32(static_cast<int>(pb));
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int j = 0; j < kAcc; ++j) acc[j] = _mm512_dpbf16_ps(acc[j], va, vb);
  }
  for (int j = 0; j < kAcc; ++j) _mm512_storeu_ps(out + 16 * j, acc[j]);
}

}  // namespace ln::peak
