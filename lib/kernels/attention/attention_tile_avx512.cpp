// AVX-512 build of the attention tile kernels (attention_tile_impl.inc). Only called when the
// CPU has AVX-512F (see attention_tile.cpp); the rest of the binary stays AVX2.
// All headers come before the target pragma, so no shared inline code is compiled for AVX-512.
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
namespace {
struct V {
  using R = __m512;
  static constexpr int W = 16;
  static constexpr int MR = 6;  // 6 x 4 accumulators + 4 loads + 1 broadcast of 32 registers
  static constexpr int NV = 4;
  static R zero() { return _mm512_setzero_ps(); }
  static R load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, R v) { _mm512_storeu_ps(p, v); }
  static R set1(float x) { return _mm512_set1_ps(x); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static R max(R a, R b) { return _mm512_max_ps(a, b); }
  static float hmax(R a) { return _mm512_reduce_max_ps(a); }
  static float hsum(R a) { return _mm512_reduce_add_ps(a); }
  static float exp2_scalar(float x) { return std::exp2(x); }
  // 2^x with ~1 ulp error on [-126, 128); below -126 (and -inf) gives exactly 0.
  static R exp2(R x) {
    const __mmask16 ok = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-126.f), _CMP_GE_OQ);
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-126.f)), _mm512_set1_ps(127.f));
    R n = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    R f = _mm512_sub_ps(x, n);  // [-0.5, 0.5]
    // Cephes exp2f minimax polynomial.
    R p = _mm512_set1_ps(1.535336188319500e-4f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.339887440266574e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.618437357674640e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.550332471162809e-2f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.402264791363012e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.931472028550421e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.f));
    return _mm512_maskz_mov_ps(ok, _mm512_scalef_ps(p, n));
  }
  // Lane i keeps x when lo[i] <= key < hi[i], else becomes -inf.
  static R keep_visible(R x, const int32_t* lo, const int32_t* hi, int32_t key) {
    const __m512i k = _mm512_set1_epi32(key);
    const __mmask16 ok = _mm512_cmple_epi32_mask(_mm512_loadu_si512(lo), k) &
                         _mm512_cmplt_epi32_mask(k, _mm512_loadu_si512(hi));
    return _mm512_mask_mov_ps(_mm512_set1_ps(-__builtin_inff()), ok, x);
  }
  static R neg_inf_to_zero(R x) {
    const __mmask16 inf = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-__builtin_inff()), _CMP_EQ_OQ);
    return _mm512_mask_mov_ps(x, inf, _mm512_setzero_ps());
  }
};
}  // namespace

#include "kernels/attention/attention_tile_impl.inc"

}  // namespace ln::attn::avx512

#if defined(__clang__)
#pragma clang attribute pop
#endif
#pragma GCC pop_options
