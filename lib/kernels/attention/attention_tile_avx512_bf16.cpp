// bf16 mode's tile kernels with vdpbf16ps (AVX512-BF16): attention_tile_bf16_impl.inc with a
// dot product that multiplies a pair of bf16 per lane and accumulates in fp32. Only called when
// the CPU has AVX512-BF16 (attention_tile.cpp); everything else stays in attention_tile_avx512.cpp
// (the fp32 kernels this file also instantiates are never called from here).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <new>
#include <vector>

#include "kernels/attention/attention_internal.hpp"

#pragma GCC push_options
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,avx512bf16,avx2,fma")
#if defined(__clang__)  // clang ignores the GCC pragma (the fuzz build compiles with clang)
#pragma clang attribute push( \
    __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx512bf16,avx2,fma"))), apply_to = function)
#endif

namespace ln::attn::avx512bf16 {
#include "kernels/attention/attention_vec_avx512.inc"

// The tile bodies, written against V.
#include "kernels/attention/attention_tile_impl.inc"

// After the fp32 body: uses its helpers.
#include "kernels/attention/attention_tile_bf16_impl.inc"

namespace {
// acc += a.lo * b.lo + a.hi * b.hi per lane, b a pair row, a one pair broadcast (vdpbf16ps).
struct DotNative {
  static constexpr int MR = 6;  // 6 x 4 accumulators + 4 loads + 1 broadcast
  using A = __m512i;
  using B = __m512i;
  static B loadb(const uint32_t* p) { return _mm512_loadu_si512(p); }
  static A bcast(uint32_t a) { return _mm512_set1_epi32(static_cast<int>(a)); }
  static __m512 dot(__m512 acc, A a, B b) { return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)b); }
};
}  // namespace

void forward_tile_bf16(const KeyRowsBf16& keys, const uint32_t* qt, float smul, int64_t mt, const int32_t* lo,
                       const int32_t* hi, float* o, float* lse) {
  forward_tile_bf16_t<DotNative>(keys, qt, smul, mt, lo, hi, o, lse);
}
void backward_segment_bf16(const BwdSegmentBf16& seg) { backward_segment_bf16_t<DotNative>(seg); }

}  // namespace ln::attn::avx512bf16

#if defined(__clang__)
#pragma clang attribute pop
#endif
#pragma GCC pop_options
