// The KV cache and the one-token attention against it (see kv_cache.hpp). The attention is a
// plain loop: at most Σ_p w_p / r_p dot products per head, tiny next to the projections. It
// does not go through the kernels' window API, whose key layout (the last w_max positions,
// dense) is not the cache's (per pattern, only each head's sparse keys): see
// lib/kernels/attention/attention_kernel.hpp. tests/generate/test_kv_cache.cpp holds this loop
// against the full forward and against the plain-loop reference attention; in bf16 mode,
// test_kv_cache_bf16.cpp and test_generator_bf16.cpp do.
#include "generate/kv_cache.hpp"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "core/error.hpp"
#include "core/parallel_for.hpp"
#include "kernels/attention/positions.hpp"

namespace ln {

namespace {

float dot(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // independent partial sums: the compiler vectorises
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int u = 0; u < 8; ++u) acc[u] += a[i + u] * b[i + u];
  float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

inline float widen(float x) { return x; }
inline float widen(bf16 x) { return __builtin_bit_cast(float, static_cast<uint32_t>(x.bits) << 16); }
inline float bf16_rounded(float x) { return static_cast<float>(bf16(x)); }

// bf16 mode: a (D) holds bf16-rounded values, so every product a[i] * b[i] is exact in fp32 and
// only the fp32 summation order differs from the kernel's (as its fallback); 16 independent
// partial sums so the compiler vectorises the widening and the FMAs.
float dot(const float* a, const bf16* b, int64_t n) {
  float acc[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int u = 0; u < 16; ++u) acc[u] += a[i + u] * widen(b[i + u]);
  for (int u = 0; u < 8; ++u) acc[u] += acc[u + 8];
  float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; ++i) s += a[i] * widen(b[i]);
  return s;
}

// The same dot product with vdpbf16ps (AVX512-BF16), the query as bf16 too (exact: it is
// rounded already); products are exact, sums fp32 in another order (and, as the kernel's
// vdpbf16ps path, denormal products flush to zero). Only where attention_bf16_dot_name() says
// "vdpbf16ps", i.e. the CPU has AVX512-BF16 and the kernel's switch allows it.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) float dot_vdpbf16ps(const bf16* a,
                                                                                    const bf16* b,
                                                                                    int64_t n) {
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    acc = _mm512_dpbf16_ps(acc, (__m512bh)_mm512_loadu_si512(a + i), (__m512bh)_mm512_loadu_si512(b + i));
  if (i < n) {  // the last n - i < 32 elements; zeros beyond add nothing
    const __mmask32 m = static_cast<__mmask32>((uint64_t{1} << (n - i)) - 1);
    acc = _mm512_dpbf16_ps(acc, (__m512bh)_mm512_maskz_loadu_epi16(m, a + i),
                           (__m512bh)_mm512_maskz_loadu_epi16(m, b + i));
  }
  alignas(64) float lanes[16];  // (not _mm512_reduce_add_ps: GCC 12 warns inside it)
  _mm512_store_ps(lanes, acc);
  float sum = 0.f;
  for (float x : lanes) sum += x;
  return sum;
}

// Softmax attention of query qs (D) over rows [0, n) of keys/values (n, D); merges the result
// (output, log-sum-exp) into (o, lse) by log-sum-exp, the way the kernels merge patterns.
// T = bf16 (bf16 mode): qs is already rounded (q16: the same as bf16 for vdpbf16ps, or null);
// P is rounded before P.V (the kernel's rounding points), its fp32 value goes into the sum, as
// the kernel's. T = float: all fp32.
template <class T>
void attend_rows(const float* qs, const bf16* q16, const T* keys, const T* values, int64_t n, int64_t D,
                 float scale, std::vector<float>& scores, std::vector<float>& acc, float* o, float& lse) {
  if (n <= 0) return;
  scores.resize(static_cast<size_t>(n));
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < n; ++j) {
    if constexpr (std::is_same_v<T, bf16>)
      scores[j] = scale * (q16 ? dot_vdpbf16ps(q16, keys + j * D, D) : dot(qs, keys + j * D, D));
    else
      scores[j] = scale * dot(qs, keys + j * D, D);
    m = std::max(m, scores[j]);
  }
  acc.assign(static_cast<size_t>(D), 0.f);
  float sum = 0.f;
  for (int64_t j = 0; j < n; ++j) {
    const float p = std::exp(scores[j] - m);
    sum += p;
    const float pv = std::is_same_v<T, bf16> ? bf16_rounded(p) : p;
    const T* vj = values + j * D;
    for (int64_t d = 0; d < D; ++d) acc[d] += pv * widen(vj[d]);
  }
  const float l_new = m + std::log(sum);
  if (lse == -std::numeric_limits<float>::infinity()) {
    for (int64_t d = 0; d < D; ++d) o[d] = acc[d] / sum;
    lse = l_new;
    return;
  }
  const float merged = std::max(lse, l_new) + std::log1p(std::exp(-std::abs(lse - l_new)));
  const float a = std::exp(lse - merged), b = std::exp(l_new - merged) / sum;
  for (int64_t d = 0; d < D; ++d) o[d] = a * o[d] + b * acc[d];
  lse = merged;
}

}  // namespace

void KvCache::Rows::resize(int64_t n, Precision precision) {
  if (precision == Precision::bf16) {
    keys16.resize(static_cast<size_t>(n));
    values16.resize(static_cast<size_t>(n));
  } else {
    keys.resize(static_cast<size_t>(n));
    values.resize(static_cast<size_t>(n));
  }
}

int64_t KvCache::Rows::bytes() const {
  return static_cast<int64_t>((keys.size() + values.size()) * sizeof(float) +
                              (keys16.size() + values16.size()) * sizeof(bf16));
}

void KvCache::Rows::store(int64_t i, int64_t D, const float* k, const float* kf, const float* v) {
  // bf16 (resize made only these): the decayed key rounded once, as the kernel packs it.
  if (!keys16.empty()) {
    bf16* kd = keys16.data() + i * D;
    bf16* vd = values16.data() + i * D;
    for (int64_t d = 0; d < D; ++d) {
      kd[d] = bf16(k[d] * kf[d]);
      vd[d] = bf16(v[d]);
    }
    return;
  }
  float* kd = keys.data() + i * D;
  for (int64_t d = 0; d < D; ++d) kd[d] = k[d] * kf[d];
  std::memcpy(values.data() + i * D, v, sizeof(float) * static_cast<size_t>(D));
}

KvCache::KvCache(const ModelSpec& spec, int64_t capacity, Precision precision)
    : spec_(spec), capacity_(capacity), precision_(precision), conv_history_(spec) {
  const AttentionSpec& a = spec.attention;
  H_ = spec.heads;
  D_ = spec.head_dim();
  LN_CHECK(capacity >= 1, "[generate] KV cache capacity is ", capacity,
           "; it must hold at least one position");
  LN_CHECK(a.causal,
           "[generate] the model's attention is bidirectional (attention.causal: false); "
           "only causal models can generate text");
  validate_attention_spec(a, H_, D_);
  const double xpos_log = xpos_max_log_factor(a, D_, capacity);
  LN_CHECK(xpos_log < 80.0, "[generate] XPOS decay over ", capacity, " positions needs factors up to e^",
           static_cast<int64_t>(xpos_log),
           ", beyond fp32; generate fewer tokens (-n) or use a shorter prompt");
  switch (a.kind) {
    case AttentionKind::dilated:
      for (size_t p = 0; p < a.segments.size(); ++p)
        patterns_.push_back({std::min(a.segments[p], capacity), a.dilations[p]});
      break;
    case AttentionKind::dense:
      patterns_.push_back({capacity, 1});
      break;
    case AttentionKind::sparse:
      patterns_.push_back({std::min(a.sparse_block, capacity), 1});
      break;
  }
  layers_.resize(static_cast<size_t>(spec.layers));
  for (Layer& layer : layers_) {
    for (const Pattern& p : patterns_) {
      SegmentBuffer buf;
      buf.w = p.w;
      buf.r = p.r;
      buf.rows = (p.w + p.r - 1) / p.r;
      buf.resize(H_ * buf.rows * D_, precision);
      buf.count.assign(static_cast<size_t>(H_), 0);
      buf.start.assign(static_cast<size_t>(H_), -1);
      layer.patterns.push_back(std::move(buf));
    }
    if (a.kind == AttentionKind::sparse) {
      layer.summary.rows = (capacity / a.sparse_block + 1) * a.sparse_summary;
      layer.summary.resize(H_ * layer.summary.rows * D_, precision);
    }
  }
  next_.assign(layers_.size(), 0);
}

int64_t KvCache::bytes() const {
  int64_t n = 0;
  for (const Layer& layer : layers_) {
    for (const SegmentBuffer& buf : layer.patterns) n += buf.bytes();
    n += layer.summary.bytes();
  }
  return n;
}

void KvCache::decay(float* out, int64_t offset, double centre, bool keys) const {
  if (spec_.attention.positions != PositionKind::xpos) {
    std::fill(out, out + D_, 1.f);
    return;
  }
  // Row 0 of a table centred at (centre - offset) is the row `offset` of one centred at
  // `centre`: the same double exponent (small integers and halves are exact), the same float.
  xpos_decay_table(out, 1, D_, D_, centre - static_cast<double>(offset), spec_.attention.xpos_gamma,
                   spec_.attention.xpos_scale_base, keys);
}

int64_t KvCache::offset_of(int64_t h, int64_t r) const {
  return head_offset_of(spec_.attention.head_offset, h, H_, r);
}

bool KvCache::in_summary(int64_t m) const {
  const int64_t l = spec_.attention.sparse_block, c = spec_.attention.sparse_summary;
  return m % l >= l - c;
}

bool KvCache::push(SegmentBuffer& buf, int64_t h, int64_t m, const float* k, const float* kf,
                   const float* v) {
  const int64_t s = m / buf.w * buf.w, g = offset_of(h, buf.r);
  if (buf.start[h] != s) {  // a new segment: nothing of the old one is visible any more
    buf.start[h] = s;
    buf.count[h] = 0;
  }
  if ((m - s) % buf.r != g) return false;
  const int64_t j = buf.count[h]++;
  LN_CHECK(j == (m - s - g) / buf.r && j < buf.rows, "[generate] KV cache out of order at position ", m,
           " (internal error)");
  buf.store(h * buf.rows + j, D_, k, kf, v);
  return true;
}

void KvCache::push_summary(SummaryBuffer& S, int64_t m, const float* k, const float* v, int64_t head_stride) {
  std::vector<float> kf(static_cast<size_t>(D_));
  decay(kf.data(), m, 0.5 * static_cast<double>(capacity_), true);  // centred on the sequence middle
  for (int64_t h = 0; h < H_; ++h)
    S.store(h * S.rows + S.count, D_, k + h * head_stride, kf.data(), v + h * head_stride);
  ++S.count;
}

void KvCache::add_prompt_layer(int64_t layer, const Tensor& k, const Tensor& v) {
  LN_CHECK(layer >= 0 && layer < static_cast<int64_t>(layers_.size()), "[generate] layer ", layer,
           " is outside the model's ", layers_.size(), " layers");
  LN_CHECK(k.ndim() == 4 && k.dim(0) == 1 && k.dim(1) == H_ && k.dim(3) == D_ && v.shape() == k.shape(),
           "[generate] prompt k/v must be (1, ", H_, ", T, ", D_, ") but k is ", shape_str(k.shape()));
  LN_CHECK(next_[layer] == 0, "[generate] layer ", layer, " of the KV cache is already filled");
  const int64_t T = k.dim(2);
  LN_CHECK(T <= capacity_, "[generate] a prompt of ", T, " tokens does not fit a KV cache of ", capacity_,
           " positions");
  const AttentionSpec& a = spec_.attention;
  Tensor kr = k;
  if (a.positions != PositionKind::none) {
    kr = Tensor::empty(k.shape());
    rotate_pairs(k.data(), kr.data(), H_, T, D_, 0, a.rope_base, false);
  }
  Layer& L = layers_[layer];
  // What position T (the next one) can read: the keys of its segment, per pattern.
  std::vector<float> kf(static_cast<size_t>(D_));
  for (SegmentBuffer& buf : L.patterns) {
    const int64_t s = T / buf.w * buf.w;
    for (int64_t m = s; m < T; ++m) {
      decay(kf.data(), m - s, 0.5 * static_cast<double>(buf.w), true);
      for (int64_t h = 0; h < H_; ++h)
        push(buf, h, m, kr.data() + (h * T + m) * D_, kf.data(), v.data() + (h * T + m) * D_);
    }
  }
  if (a.kind == AttentionKind::sparse) {
    for (int64_t m = 0; m < T; ++m)
      if (in_summary(m)) push_summary(L.summary, m, kr.data() + m * D_, v.data() + m * D_, T * D_);
  }
  next_[layer] = T;
}

void KvCache::attend(int64_t layer, int64_t t, const float* q, const float* k, const float* v, float* o) {
  LN_CHECK(layer >= 0 && layer < static_cast<int64_t>(layers_.size()), "[generate] layer ", layer,
           " is outside the model's ", layers_.size(), " layers");
  LN_CHECK(t == next_[layer], "[generate] layer ", layer, " expects position ", next_[layer], " next, got ",
           t);
  LN_CHECK(t < capacity_, "[generate] position ", t, " is past the KV cache's capacity of ", capacity_,
           " positions; create the cache for prompt + generated tokens");
  const AttentionSpec& a = spec_.attention;
  const int64_t H = H_, D = D_;
  const float scale = 1.f / std::sqrt(static_cast<float>(D));
  std::vector<float> qr(q, q + H * D), kr(k, k + H * D);
  if (a.positions != PositionKind::none) {
    rotate_pairs(q, qr.data(), H, 1, D, t, a.rope_base, false);
    rotate_pairs(k, kr.data(), H, 1, D, t, a.rope_base, false);
  }
  Layer& L = layers_[layer];
  // Decay factors of this position: per pattern (centred on its segment), and for the summary
  // columns (centred on the sequence middle). Shared by every head.
  const size_t P = L.patterns.size();
  std::vector<float> qf(P * D), kf(P * D), qf_sum(D);
  for (size_t p = 0; p < P; ++p) {
    const SegmentBuffer& buf = L.patterns[p];
    const double centre = 0.5 * static_cast<double>(buf.w);
    decay(qf.data() + p * D, t % buf.w, centre, false);
    decay(kf.data() + p * D, t % buf.w, centre, true);
  }
  const bool sparse = a.kind == AttentionKind::sparse;
  int64_t visible_summary = 0;
  if (sparse) {
    SummaryBuffer& S = L.summary;
    visible_summary = t / a.sparse_block * a.sparse_summary;  // the earlier blocks' columns
    decay(qf_sum.data(), t, 0.5 * static_cast<double>(capacity_), false);
    if (in_summary(t)) push_summary(S, t, kr.data(), v, D);  // visible from the next block on
  }
  const bool bf16_mode = precision_ == Precision::bf16;
  // The kernel's choice of bf16 products (set_attention_bf16_dot; vdpbf16ps where the CPU has it).
  const bool vdp = bf16_mode && std::strcmp(attention_bf16_dot_name(), "vdpbf16ps") == 0;
  // Rows [row0, row0 + n) of R against the query qs (q16), in the cache's precision.
  auto attend_to = [&](const Rows& R, int64_t row0, int64_t n, const float* qs, const bf16* q16,
                       std::vector<float>& scores, std::vector<float>& acc, float* oh, float& lse) {
    if (bf16_mode)
      attend_rows(qs, vdp ? q16 : nullptr, R.keys16.data() + row0 * D, R.values16.data() + row0 * D, n, D,
                  scale, scores, acc, oh, lse);
    else
      attend_rows(qs, nullptr, R.keys.data() + row0 * D, R.values.data() + row0 * D, n, D, scale, scores, acc,
                  oh, lse);
  };
  // The decayed query, rounded to bf16 in bf16 mode (the kernel's packing of Q), also as bf16.
  auto query = [&](int64_t h, const float* f, float* qs, bf16* q16) {
    for (int64_t d = 0; d < D; ++d) qs[d] = qr[h * D + d] * f[d];
    if (bf16_mode)
      for (int64_t d = 0; d < D; ++d) {
        q16[d] = bf16(qs[d]);
        qs[d] = static_cast<float>(q16[d]);
      }
  };
  std::atomic<int64_t> read{0};
  auto one_head = [&](int64_t h) {
    std::vector<float> qs(static_cast<size_t>(D)), scores, acc;
    std::vector<bf16> q16(static_cast<size_t>(bf16_mode ? D : 0));
    float* oh = o + h * D;
    float lse = -std::numeric_limits<float>::infinity();
    int64_t n_read = 0;
    for (size_t p = 0; p < P; ++p) {
      SegmentBuffer& buf = L.patterns[p];
      // The key at t joins the buffer if it is on this head's grid; then, and only then, the
      // query at t takes part in this pattern (the same condition: p mod r == g(h)), unless
      // attention.dense_queries: then every query reads the head's keys of its segment so far.
      const bool on_grid = push(buf, h, t, kr.data() + h * D, kf.data() + p * D, v + h * D);
      if (!on_grid && !a.dense_queries) continue;
      const int64_t n = buf.count[h];
      if (n == 0) continue;  // dense queries before the segment's first key of this head
      query(h, qf.data() + p * D, qs.data(), q16.data());
      attend_to(buf, h * buf.rows, n, qs.data(), q16.data(), scores, acc, oh, lse);
      n_read += n;
    }
    if (visible_summary > 0) {
      const SummaryBuffer& S = L.summary;
      query(h, qf_sum.data(), qs.data(), q16.data());
      attend_to(S, h * S.rows, visible_summary, qs.data(), q16.data(), scores, acc, oh, lse);
      n_read += visible_summary;
    }
    if (lse == -std::numeric_limits<float>::infinity()) std::fill(oh, oh + D, 0.f);  // no key reaches it
    read += n_read;
  };
  // Parallel over heads only when there is enough work to pay for the tasks.
  int64_t work = 0;
  for (const SegmentBuffer& buf : L.patterns) work += buf.rows;
  work = (work + visible_summary) * D;
  if (work * H >= (int64_t{1} << 20)) {
    ln::parallel_for(int64_t{0}, H, one_head);
  } else {
    for (int64_t h = 0; h < H; ++h) one_head(h);
  }
  keys_read_ += read.load();
  next_[layer] = t + 1;
}

}  // namespace ln
