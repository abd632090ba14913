// AVX-512 build of the attention tile kernels (attention_tile_impl.inc; bf16 mode with the
// exact fallback, attention_tile_bf16_impl.inc; vdpbf16ps: attention_tile_avx512_bf16.cpp). Only called when
// the CPU has AVX-512F (see attention_tile.cpp); the rest of the binary stays AVX2. All headers come before
// the target pragma, so no shared inline code is compiled for AVX-512.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <new>
#include <vector>

#include "kernels/attention/attention_internal.hpp"

#pragma GCC push_options
// GCC 12 flags its own _mm512_reduce_* helpers (built on _mm512_undefined_ps) as uninitialised.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")
#if defined(__clang__)  // clang ignores the GCC pragma (the fuzz build compiles with clang)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma"))), \
                             apply_to = function)
#endif

namespace ln::attn::avx512 {
#include "kernels/attention/attention_vec_avx512.inc"

// The tile bodies, written against V.
#include "kernels/attention/attention_tile_impl.inc"

// After the fp32 body: uses its helpers.
#include "kernels/attention/attention_tile_bf16_impl.inc"

// bf16 mode on AVX-512 CPUs without AVX512-BF16 (or forced, for tests): the exact fallback.
void forward_tile_bf16(const KeyRowsBf16& keys, const uint32_t* qt, float smul, int64_t mt, const int32_t* lo,
                       const int32_t* hi, float* o, float* lse) {
  forward_tile_bf16_t<DotFma>(keys, qt, smul, mt, lo, hi, o, lse);
}
void backward_segment_bf16(const BwdSegmentBf16& seg) { backward_segment_bf16_t<DotFma>(seg); }

}  // namespace ln::attn::avx512

#if defined(__clang__)
#pragma clang attribute pop
#endif
#pragma GCC pop_options
