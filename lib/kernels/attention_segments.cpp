#include "kernels/attention_segments.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>

#include "kernels/attention_tile.hpp"

namespace ln::attn {

namespace {

constexpr float kLog2e = 1.44269504088896341f;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

struct Aligned {  // 64-byte aligned float scratch
  float* p = nullptr;
  explicit Aligned(int64_t n) {
    p = static_cast<float*>(::operator new(static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(float),
                                           std::align_val_t(64)));
  }
  ~Aligned() { ::operator delete(p, std::align_val_t(64)); }
  Aligned(const Aligned&) = delete;
  Aligned& operator=(const Aligned&) = delete;
};

void job_ranges(const SegmentJob& job, int64_t i0, int64_t n, int32_t* lo, int32_t* hi) {
  if (job.ranges) return job.ranges(i0, n, lo, hi);
  for (int64_t i = 0; i < n; ++i) {
    lo[i] = 0;
    int64_t h = job.causal ? std::clamp<int64_t>(i0 + i + job.causal_shift + 1, 0, job.nk) : job.nk;
    hi[i] = static_cast<int32_t>(h);
  }
}

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

// Transposed, tiled pack: key tile j0 = 0, kTileK, ... becomes a (dp, kTileK) block at
// out + j0 * dp (see PackedKeys); keys n..nkp and rows d..dp are zero.
void pack_transposed(float* out, const float* x, int64_t ld, const float* f, int64_t ldf, int64_t n, int64_t nkp,
                     int64_t d, int64_t dp) {
  std::memset(out, 0, sizeof(float) * static_cast<size_t>(dp * nkp));
  for (int64_t j = 0; j < n; ++j) {
    const float* src = x + j * ld;
    const float* fr = f ? f + j * ldf : nullptr;
    float* block = out + (j / kTileK) * kTileK * dp + (j % kTileK);
    if (fr) {
      for (int64_t t = 0; t < d; ++t) block[t * kTileK] = src[t] * fr[t];
    } else {
      for (int64_t t = 0; t < d; ++t) block[t * kTileK] = src[t];
    }
  }
}

void zero(float* p, int64_t n) { std::memset(p, 0, sizeof(float) * static_cast<size_t>(n)); }

void forward_job(const SegmentJob& job, int64_t d, float scale, const TileKernels& kern) {
  if (job.mq <= 0 || job.nk <= 0) return;
  const int64_t dp = round_up(d, 16), nkp = round_up(job.nk, kTileK);
  Aligned kt(dp * nkp), vn(nkp * dp);
  pack_transposed(kt.p, job.k, job.ldk, job.kf, job.ldkf, job.nk, nkp, d, dp);
  pack_rows(vn.p, job.v, job.ldk, nullptr, 0, job.nk, d, dp, 1.f);
  zero(vn.p + job.nk * dp, (nkp - job.nk) * dp);
  PackedKeys keys;
  keys.dp = dp;
  keys.nk = job.nk;
  keys.nkp = nkp;
  keys.kt = kt.p;
  keys.vn = vn.p;
  const int64_t n_tiles = (job.mq + kTileQ - 1) / kTileQ;
  tbb::parallel_for(int64_t{0}, n_tiles, [&](int64_t tile) {
    const int64_t q0 = tile * kTileQ, mt = std::min(kTileQ, job.mq - q0);
    Aligned qp(kTileQ * dp), o(kTileQ * dp);
    float lse[kTileQ];
    int32_t lo[kTileQ], hi[kTileQ];
    pack_rows(qp.p, job.q + q0 * job.ldq, job.ldq, job.qf ? job.qf + q0 * job.ldqf : nullptr, job.ldqf, mt, d, dp,
              scale * kLog2e);
    job_ranges(job, q0, mt, lo, hi);
    kern.forward(keys, qp.p, mt, lo, hi, o.p, lse);
    // LSE-merge into the running result (rows owned by this job alone within the pass).
    for (int64_t i = 0; i < mt; ++i) {
      const float lp = lse[i];
      if (lp == kNegInf) continue;
      float* out = job.o + (q0 + i) * job.ldo;
      float& L = job.lse[(q0 + i) * job.ldl];
      const float* op = o.p + i * dp;
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
  });
}

void backward_job(const SegmentJob& job, int64_t d, float scale, const TileKernels& kern) {
  if (job.mq <= 0 || job.nk <= 0) return;
  const int64_t dp = round_up(d, 16), nkp = round_up(job.nk, kTileK), mq = job.mq;
  Aligned kt(dp * nkp), vt(dp * nkp), kn(nkp * dp), qp(mq * dp), dop(mq * dp), dqp(mq * dp), dkp(nkp * dp),
      dvp(nkp * dp), l2(mq), delta(mq);
  std::vector<int32_t> lo(static_cast<size_t>(mq)), hi(static_cast<size_t>(mq));
  pack_transposed(kt.p, job.k, job.ldk, job.kf, job.ldkf, job.nk, nkp, d, dp);
  pack_transposed(vt.p, job.v, job.ldk, nullptr, 0, job.nk, nkp, d, dp);
  pack_rows(kn.p, job.k, job.ldk, job.kf, job.ldkf, job.nk, d, dp, 1.f);
  zero(kn.p + job.nk * dp, (nkp - job.nk) * dp);
  pack_rows(qp.p, job.q, job.ldq, job.qf, job.ldqf, mq, d, dp, 1.f);
  pack_rows(dop.p, job.dout, job.ldo, nullptr, 0, mq, d, dp, 1.f);
  for (int64_t i = 0; i < mq; ++i) {
    const float L = job.lse[i * job.ldl];
    l2.p[i] = L == kNegInf ? kNegInf : L * kLog2e;
    delta.p[i] = job.delta[i * job.ldl];
  }
  job_ranges(job, 0, mq, lo.data(), hi.data());
  zero(dqp.p, mq * dp);
  zero(dkp.p, nkp * dp);
  zero(dvp.p, nkp * dp);
  PackedKeys keys;
  keys.dp = dp;
  keys.nk = job.nk;
  keys.nkp = nkp;
  keys.kt = kt.p;
  keys.kn = kn.p;
  keys.vt = vt.p;
  BwdSegment seg{&keys, mq, qp.p, dop.p, l2.p, delta.p, lo.data(), hi.data(), scale, dqp.p, dkp.p, dvp.p};
  kern.backward(seg);
  // Unpack: the kernels worked on the decayed q' = q * qf, k' = k * kf, so dq = qf * dq', ...
  for (int64_t i = 0; i < mq; ++i) {
    float* dst = job.dq + i * job.ldq;
    const float* src = dqp.p + i * dp;
    const float* f = job.qf ? job.qf + i * job.ldqf : nullptr;
    for (int64_t t = 0; t < d; ++t) dst[t] += f ? f[t] * src[t] : src[t];
  }
  for (int64_t j = 0; j < job.nk; ++j) {
    float* dk = job.dk + j * job.ldk;
    float* dv = job.dv + j * job.ldk;
    const float* sk = dkp.p + j * dp;
    const float* sv = dvp.p + j * dp;
    const float* f = job.kf ? job.kf + j * job.ldkf : nullptr;
    for (int64_t t = 0; t < d; ++t) {
      dk[t] += f ? f[t] * sk[t] : sk[t];
      dv[t] += sv[t];
    }
  }
}

}  // namespace

void run_forward_pass(const std::vector<SegmentJob>& jobs, int64_t d, float scale) {
  const TileKernels& kern = tile_kernels();
  tbb::parallel_for(size_t{0}, jobs.size(), [&](size_t j) { forward_job(jobs[j], d, scale, kern); });
}

void run_backward_pass(const std::vector<SegmentJob>& jobs, int64_t d, float scale) {
  const TileKernels& kern = tile_kernels();
  tbb::parallel_for(size_t{0}, jobs.size(), [&](size_t j) { backward_job(jobs[j], d, scale, kern); });
}

}  // namespace ln::attn
