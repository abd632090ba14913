// AVX2+FMA build of the attention tile kernels (attention_tile_impl.inc, and bf16 mode's
// attention_tile_bf16_impl.inc with the exact fp32-FMA fallback): the portable baseline every
// supported x86-64 runs.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <new>
#include <vector>

#include "kernels/attention/attention_internal.hpp"

namespace ln::attn::avx2 {
namespace {
struct V {
  using R = __m256;
  static constexpr int W = 8;
  static constexpr int MR = 6;  // 6 x 2 accumulators + 2 loads + 1 broadcast of 16 registers
  static constexpr int NV = 2;
  static R zero() { return _mm256_setzero_ps(); }
  static R load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, R v) { _mm256_storeu_ps(p, v); }
  static R set1(float x) { return _mm256_set1_ps(x); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static R sub(R a, R b) { return _mm256_sub_ps(a, b); }
  static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static R max(R a, R b) { return _mm256_max_ps(a, b); }
  static float hmax(R a) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
  }
  static float hsum(R a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static float exp2_scalar(float x) { return std::exp2(x); }
  static R exp2(R x) {
    const R ok = _mm256_cmp_ps(x, _mm256_set1_ps(-126.f), _CMP_GE_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-126.f)), _mm256_set1_ps(127.f));
    R n = _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    R f = _mm256_sub_ps(x, n);
    R p = _mm256_set1_ps(1.535336188319500e-4f);
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.339887440266574e-3f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(9.618437357674640e-3f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(5.550332471162809e-2f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(2.402264791363012e-1f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(6.931472028550421e-1f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_and_ps(ok, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
  }
  // Lane i keeps x when lo[i] <= key < hi[i], else becomes -inf.
  static R keep_visible(R x, const int32_t* lo, const int32_t* hi, int32_t key) {
    const __m256i k = _mm256_set1_epi32(key);
    const __m256i after_lo = _mm256_cmpgt_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(lo)), k);
    const __m256i before_hi = _mm256_cmpgt_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(hi)), k);
    const R ok = _mm256_castsi256_ps(_mm256_andnot_si256(after_lo, before_hi));
    return _mm256_blendv_ps(_mm256_set1_ps(-__builtin_inff()), x, ok);
  }
  static R neg_inf_to_zero(R x) {
    return _mm256_blendv_ps(x, _mm256_setzero_ps(),
                            _mm256_cmp_ps(x, _mm256_set1_ps(-__builtin_inff()), _CMP_EQ_OQ));
  }
  // bf16 helpers: see attention_vec_avx512.inc.
  using I = __m256i;
  static I loadi(const uint32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static void storei(uint32_t* p, I x) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), x); }
  static R pair_lo(I x) { return _mm256_castsi256_ps(_mm256_slli_epi32(x, 16)); }
  static R pair_hi(I x) {
    return _mm256_castsi256_ps(_mm256_and_si256(x, _mm256_set1_epi32(int(0xffff0000u))));
  }
  static I round_bf16(R x) {
    const I u = _mm256_castps_si256(x);
    const I odd = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    const I r = _mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7fff)), odd);
    return _mm256_and_si256(r, _mm256_set1_epi32(int(0xffff0000u)));
  }
  static I make_pairs(R lo, R hi) {
    return _mm256_or_si256(_mm256_srli_epi32(round_bf16(lo), 16), round_bf16(hi));
  }
  static void store_bf16(uint32_t* out, R x) {
    const I t = _mm256_srli_epi32(round_bf16(x), 16);
    const __m128i packed = _mm_packus_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), packed);
  }
};
}  // namespace

#include "kernels/attention/attention_tile_impl.inc"

// After the fp32 body: uses its helpers.
#include "kernels/attention/attention_tile_bf16_impl.inc"

void forward_tile_bf16(const KeyRowsBf16& keys, const uint32_t* qt, float smul, int64_t mt, const int32_t* lo,
                       const int32_t* hi, float* o, float* lse) {
  forward_tile_bf16_t<DotFma>(keys, qt, smul, mt, lo, hi, o, lse);
}
void backward_segment_bf16(const BwdSegmentBf16& seg) { backward_segment_bf16_t<DotFma>(seg); }

}  // namespace ln::attn::avx2
