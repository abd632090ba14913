#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <new>

#include "core/parallel_for.hpp"
#include "kernels/attention/attention_internal.hpp"

namespace ln::attn {

namespace {

struct Aligned {  // 64-byte aligned float scratch
  float* p = nullptr;
  explicit Aligned(int64_t n) {
    p = static_cast<float*>(
        ::operator new(static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(float), std::align_val_t(64)));
  }
  ~Aligned() { ::operator delete(p, std::align_val_t(64)); }
  Aligned(const Aligned&) = delete;
  Aligned& operator=(const Aligned&) = delete;
};

// Packs the rows [0, n) of x (row stride ld) times optional factors f (stride ldf) times `mul`
// into out: (n, dp), zero-padding columns d..dp.
void pack_rows(float* out, const float* x, int64_t ld, const float* f, int64_t ldf, int64_t n, int64_t d,
               int64_t dp, float mul) {
  for (int64_t i = 0; i < n; ++i) {
    const float* src = x + i * ld;
    float* dst = out + i * dp;
    if (f) {
      const float* fr = f + i * ldf;
      for (int64_t t = 0; t < d; ++t) dst[t] = src[t] * fr[t] * mul;
    } else {
      for (int64_t t = 0; t < d; ++t) dst[t] = src[t] * mul;
    }
    for (int64_t t = d; t < dp; ++t) dst[t] = 0.f;
  }
}

// Transposed, tiled pack of rows [0, n): row i becomes column i % kTileQ of the (dp, kTileQ)
// block (i / kTileQ) at out; everything else of the n_pad = round_up(n, kTileQ) columns is zero.
void pack_transposed(float* out, const float* x, int64_t ld, const float* f, int64_t ldf, int64_t n,
                     int64_t d, int64_t dp, float mul) {
  std::memset(out, 0, sizeof(float) * static_cast<size_t>(dp * round_up(n, kTileQ)));
  for (int64_t i = 0; i < n; ++i) {
    const float* src = x + i * ld;
    const float* fr = f ? f + i * ldf : nullptr;
    float* block = out + (i / kTileQ) * kTileQ * dp + (i % kTileQ);
    if (fr) {
      for (int64_t t = 0; t < d; ++t) block[t * kTileQ] = src[t] * fr[t] * mul;
    } else {
      for (int64_t t = 0; t < d; ++t) block[t * kTileQ] = src[t] * mul;
    }
  }
}

void zero(float* p, int64_t n) { std::memset(p, 0, sizeof(float) * static_cast<size_t>(n)); }

// Key and value rows as the kernels read them: in place when D is a multiple of 16 and no
// decay applies (any row stride works), else packed (scaled, zero-padded) into the buffers.
struct KeySide {
  KeyRows rows;
  std::unique_ptr<Aligned> k_buf, v_buf;
};
void prepare_keys(KeySide& side, const SegmentJob& job, int64_t d, int64_t dp) {
  side.rows.dp = dp;
  side.rows.nk = job.nk;
  if (d == dp && !job.kf) {
    side.rows.k = job.k;
    side.rows.ldk = job.ldk;
  } else {
    side.k_buf = std::make_unique<Aligned>(job.nk * dp);
    pack_rows(side.k_buf->p, job.k, job.ldk, job.kf, job.ldkf, job.nk, d, dp, 1.f);
    side.rows.k = side.k_buf->p;
    side.rows.ldk = dp;
  }
  if (d == dp) {
    side.rows.v = job.v;
    side.rows.ldv = job.ldk;
  } else {
    side.v_buf = std::make_unique<Aligned>(job.nk * dp);
    pack_rows(side.v_buf->p, job.v, job.ldk, nullptr, 0, job.nk, d, dp, 1.f);
    side.rows.v = side.v_buf->p;
    side.rows.ldv = dp;
  }
}

// A few query rows (a decode step, or the odd rows a dilated segment leaves): a 64-lane tile
// would waste most of its lanes, so attend row by row with plain vector loops instead.
constexpr int64_t kSmallRows = 4;
void forward_rows(const SegmentJob& job, const KeyRows& keys, int64_t d, float scale, int64_t q0, int64_t mt,
                  const int32_t* lo, const int32_t* hi, float* o, float* lse) {
  std::vector<float> qs(static_cast<size_t>(d)), scores;
  for (int64_t i = 0; i < mt; ++i) {
    const float* qi = job.q + (q0 + i) * job.ldq;
    const float* fi = job.qf ? job.qf + (q0 + i) * job.ldqf : nullptr;
    for (int64_t t = 0; t < d; ++t) qs[t] = qi[t] * (fi ? fi[t] : 1.f) * scale;
    const int64_t a = lo[i], b = std::min<int64_t>(hi[i], keys.nk);
    float* out = o + i * keys.dp;
    std::fill(out, out + keys.dp, 0.f);
    if (a >= b) {
      lse[i] = kNegInf;
      continue;
    }
    scores.resize(static_cast<size_t>(b - a));
    float mx = kNegInf;
    for (int64_t j = a; j < b; ++j) {
      const float* kj = keys.k + j * keys.ldk;
      float s = 0.f;
      for (int64_t t = 0; t < d; ++t) s += qs[t] * kj[t];
      scores[j - a] = s;
      mx = std::max(mx, s);
    }
    float z = 0.f;
    for (int64_t j = a; j < b; ++j) {
      const float p = std::exp(scores[j - a] - mx);
      const float* vj = keys.v + j * keys.ldv;
      z += p;
      for (int64_t t = 0; t < d; ++t) out[t] += p * vj[t];
    }
    for (int64_t t = 0; t < d; ++t) out[t] /= z;
    lse[i] = mx + std::log(z);
  }
}

void forward_job(const SegmentJob& job, int64_t d, float scale, const TileKernels& kern) {
  if (job.mq <= 0 || job.nk <= 0) return;
  const int64_t dp = round_up(d, 16);
  KeySide side;
  prepare_keys(side, job, d, dp);
  const int64_t n_tiles = (job.mq + kTileQ - 1) / kTileQ;
  ln::parallel_for(int64_t{0}, n_tiles, [&](int64_t tile) {
    const int64_t q0 = tile * kTileQ, mt = std::min(kTileQ, job.mq - q0);
    Aligned qt(kTileQ * dp), o(kTileQ * dp);
    float lse[kTileQ];
    int32_t lo[kTileQ], hi[kTileQ];
    job_ranges(job, q0, mt, lo, hi);
    if (mt <= kSmallRows) {
      forward_rows(job, side.rows, d, scale, q0, mt, lo, hi, o.p, lse);
    } else {
      pack_transposed(qt.p, job.q + q0 * job.ldq, job.ldq, job.qf ? job.qf + q0 * job.ldqf : nullptr,
                      job.ldqf, mt, d, dp, scale * kLog2e);
      for (int64_t i = mt; i < kTileQ; ++i) {
        lo[i] = 0;
        hi[i] = kNoLimit;
      }
      kern.forward(side.rows, qt.p, mt, lo, hi, o.p, lse);
    }
    merge_rows(job, q0, mt, d, dp, o.p, lse);
  });
}

void backward_job(const SegmentJob& job, int64_t d, float scale, const TileKernels& kern, bool split) {
  if (job.mq <= 0 || job.nk <= 0) return;
  const int64_t dp = round_up(d, 16), nkp = round_up(job.nk, kTileK), mq = job.mq, mqp = round_up(mq, kTileQ);
  KeySide side;
  prepare_keys(side, job, d, dp);
  Aligned qn(mqp * dp), qt(mqp * dp), dn(mqp * dp), dt(mqp * dp), dq(mqp * dp), dk(nkp * dp), dv(nkp * dp);
  pack_rows(qn.p, job.q, job.ldq, job.qf, job.ldqf, mq, d, dp, 1.f);
  zero(qn.p + mq * dp, (mqp - mq) * dp);
  pack_transposed(qt.p, job.q, job.ldq, job.qf, job.ldqf, mq, d, dp, 1.f);
  pack_rows(dn.p, job.dout, job.ldo, nullptr, 0, mq, d, dp, 1.f);
  zero(dn.p + mq * dp, (mqp - mq) * dp);
  pack_transposed(dt.p, job.dout, job.ldo, nullptr, 0, mq, d, dp, 1.f);
  const BackwardRows rows = backward_rows(job);
  zero(dq.p, mqp * dp);
  zero(dk.p, nkp * dp);
  zero(dv.p, nkp * dp);
  BwdSegment seg{&side.rows,
                 mq,
                 qn.p,
                 qt.p,
                 dn.p,
                 dt.p,
                 rows.l2.data(),
                 rows.delta.data(),
                 rows.lo.data(),
                 rows.hi.data(),
                 scale,
                 dq.p,
                 dk.p,
                 dv.p,
                 rows.ranges.data()};
  seg.end = nkp / kTileK;
  run_segment(seg, kern.backward, mqp / kTileQ, nkp / kTileK, split);
  add_gradients(job, d, dp, dq.p, dk.p, dv.p);
}

}  // namespace

void job_ranges(const SegmentJob& job, int64_t i0, int64_t n, int32_t* lo, int32_t* hi) {
  if (job.ranges) return job.ranges(i0, n, lo, hi);
  for (int64_t i = 0; i < n; ++i) {
    lo[i] = 0;
    int64_t h = job.causal ? std::clamp<int64_t>(i0 + i + job.causal_shift + 1, 0, job.nk) : job.nk;
    hi[i] = static_cast<int32_t>(h);
  }
}

void merge_rows(const SegmentJob& job, int64_t q0, int64_t mt, int64_t d, int64_t dp, const float* o,
                const float* lse) {
  for (int64_t i = 0; i < mt; ++i) {
    const float lp = lse[i];
    if (lp == kNegInf) continue;
    float* out = job.o + (q0 + i) * job.ldo;
    float& L = job.lse[(q0 + i) * job.ldl];
    const float* op = o + i * dp;
    if (L == kNegInf) {
      std::memcpy(out, op, sizeof(float) * static_cast<size_t>(d));
      L = lp;
      continue;
    }
    const float mx = std::max(L, lp);
    const float a = std::exp(L - mx), b = std::exp(lp - mx), inv = 1.f / (a + b);
    for (int64_t t = 0; t < d; ++t) out[t] = (a * out[t] + b * op[t]) * inv;
    L = mx + std::log(a + b);
  }
}

BackwardRows backward_rows(const SegmentJob& job) {
  const int64_t mq = job.mq, mqp = round_up(mq, kTileQ);
  BackwardRows r;
  r.l2.resize(static_cast<size_t>(mqp));
  r.delta.resize(static_cast<size_t>(mqp));
  r.lo.assign(static_cast<size_t>(mqp), 0);
  r.hi.assign(static_cast<size_t>(mqp), kNoLimit);
  for (int64_t i = 0; i < mqp; ++i) {
    // +inf makes P = exp2(s - l2) = 0: padding rows and rows that see no key at all.
    const float L = i < mq ? job.lse[i * job.ldl] : kNegInf;
    r.l2[static_cast<size_t>(i)] = L == kNegInf ? -kNegInf : L * kLog2e;
    r.delta[static_cast<size_t>(i)] = i < mq ? job.delta[i * job.ldl] : 0.f;
  }
  job_ranges(job, 0, mq, r.lo.data(), r.hi.data());
  for (int64_t t = 0; t < mqp / kTileQ; ++t)
    r.ranges.push_back(tile_range(r.lo.data() + t * kTileQ, r.hi.data() + t * kTileQ,
                                  std::min(kTileQ, mq - t * kTileQ), job.nk));
  return r;
}

void add_gradients(const SegmentJob& job, int64_t d, int64_t dp, const float* dq, const float* dk,
                   const float* dv) {
  // The kernels worked on the decayed q' = q * qf, k' = k * kf, so dq = qf * dq', ...
  for (int64_t i = 0; i < job.mq; ++i) {
    float* dst = job.dq + i * job.ldq;
    const float* src = dq + i * dp;
    const float* f = job.qf ? job.qf + i * job.ldqf : nullptr;
    for (int64_t t = 0; t < d; ++t) dst[t] += f ? f[t] * src[t] : src[t];
  }
  for (int64_t j = 0; j < job.nk; ++j) {
    float* dkr = job.dk + j * job.ldk;
    float* dvr = job.dv + j * job.ldk;
    const float* sk = dk + j * dp;
    const float* sv = dv + j * dp;
    const float* f = job.kf ? job.kf + j * job.ldkf : nullptr;
    for (int64_t t = 0; t < d; ++t) {
      dkr[t] += f ? f[t] * sk[t] : sk[t];
      dvr[t] += sv[t];
    }
  }
}

void run_forward_pass(const std::vector<SegmentJob>& jobs, int64_t d, float scale, Precision precision) {
  const TileKernels& kern = tile_kernels();
  const bool bf16 = precision == Precision::bf16;
  ln::parallel_for(size_t{0}, jobs.size(), [&](size_t j) {
    if (bf16)
      forward_job_bf16(jobs[j], d, scale, kern);
    else
      forward_job(jobs[j], d, scale, kern);
  });
}

namespace {
std::atomic<int> g_split{static_cast<int>(AttentionBackwardSplit::automatic)};
}

void run_backward_pass(const std::vector<SegmentJob>& jobs, int64_t d, float scale, Precision precision) {
  using BackwardSplit = AttentionBackwardSplit;
  const TileKernels& kern = tile_kernels();
  const auto policy = static_cast<BackwardSplit>(g_split.load());
  // The threads we may use: the arena's, capped by ln::set_threads (a tbb::global_control).
  const size_t threads =
      std::min(static_cast<size_t>(tbb::this_task_arena::max_concurrency()),
               tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
  const bool split =
      policy == BackwardSplit::always || (policy == BackwardSplit::automatic && jobs.size() < threads);
  const bool bf16 = precision == Precision::bf16;
  ln::parallel_for(size_t{0}, jobs.size(), [&](size_t j) {
    if (bf16)
      backward_job_bf16(jobs[j], d, scale, kern, split);
    else
      backward_job(jobs[j], d, scale, kern, split);
  });
}

}  // namespace ln::attn

namespace ln {
void set_attention_backward_split(AttentionBackwardSplit policy) { attn::g_split = static_cast<int>(policy); }
}  // namespace ln
