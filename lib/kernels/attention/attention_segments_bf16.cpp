// bf16 mode of one segment job (Precision::bf16): packs the operands once -- key rows
// per job, query rows per tile (forward) or per job (backward) -- as bf16 in the layouts the
// tile kernels multiply (attention_internal.hpp, KeyRowsBf16), rounding each operand to nearest
// even after XPOS decay; then runs bf16 tile kernels (vdpbf16ps or the exact fallback) and the
// same merge / gradient bookkeeping as the fp32 path (attention_segments.cpp).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/attention/attention_internal.hpp"

namespace ln::attn {

namespace {

using Pairs = std::vector<uint32_t>;

// bf16 bits of x, rounded to nearest even: core/bf16.hpp's rounding without its branch, so
// the packing loops below vectorise (the same bits for every input, NaN included).
inline uint32_t bf16_bits(float x) {
  const uint32_t u = __builtin_bit_cast(uint32_t, x);
  const uint32_t r = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  return (u & 0x7fffffffu) > 0x7f800000u ? ((u >> 16) | 0x40u) : r;
}
inline float lo_of(uint32_t p) { return __builtin_bit_cast(float, p << 16); }
inline float hi_of(uint32_t p) { return __builtin_bit_cast(float, p & 0xffff0000u); }
inline float rounded(float x) { return __builtin_bit_cast(float, bf16_bits(x) << 16); }

// Rows x (stride ld) times the decay f (stride ldf, or none), n rows of d columns; row(i, out)
// writes row i as dp floats, zero past d (and all zero for i >= n).
struct Source {
  const float* x;
  int64_t ld;
  const float* f;
  int64_t ldf;
  int64_t n, d;
  void row(int64_t i, int64_t dp, float* out) const {
    int64_t t = 0;
    if (i < n) {
      const float* xr = x + i * ld;
      if (f) {
        const float* fr = f + i * ldf;
        for (; t < d; ++t) out[t] = xr[t] * fr[t];
      } else {
        for (; t < d; ++t) out[t] = xr[t];
      }
    }
    for (; t < dp; ++t) out[t] = 0.f;
  }
};

// One row as dp / 2 pairs: out[p] = (row[2p], row[2p + 1]).
inline void row_pairs(const float* row, int64_t dp, uint32_t* out) {
  for (int64_t p = 0; p < dp / 2; ++p) out[p] = bf16_bits(row[2 * p]) | bf16_bits(row[2 * p + 1]) << 16;
}

// bf16 rows: out (n, dp / 2), out[i * dp/2 + p] = (x(i, 2p), x(i, 2p + 1)).
Pairs bf16_rows(const Source& s, int64_t dp) {
  Pairs out(static_cast<size_t>(s.n * dp / 2));
  std::vector<float> row(static_cast<size_t>(dp));
  for (int64_t i = 0; i < s.n; ++i) {
    s.row(i, dp, row.data());
    row_pairs(row.data(), dp, out.data() + i * dp / 2);
  }
  return out;
}

// Pair rows: out (rows / 2, dp), out[p * dp + t] = (x(2p, t), x(2p + 1, t)); rows even >= n.
Pairs pair_rows(const Source& s, int64_t rows, int64_t dp) {
  Pairs out(static_cast<size_t>(rows / 2 * dp));
  std::vector<float> r0(static_cast<size_t>(dp)), r1(static_cast<size_t>(dp));
  for (int64_t p = 0; p < rows / 2; ++p) {
    s.row(2 * p, dp, r0.data());
    s.row(2 * p + 1, dp, r1.data());
    uint32_t* o = out.data() + p * dp;
    for (int64_t t = 0; t < dp; ++t) o[t] = bf16_bits(r0[t]) | bf16_bits(r1[t]) << 16;
  }
  return out;
}

// Pair rows of the transposed query tiles: for each tile of kTileQ rows a (dp / 2, kTileQ) block,
// out[tile * kTileQ * dp/2 + p * kTileQ + i] = (x(i, 2p), x(i, 2p + 1)), zero past n.
void transposed_pairs(const Source& s, int64_t dp, uint32_t* out) {
  const int64_t tiles = (s.n + kTileQ - 1) / kTileQ, dh = dp / 2;
  std::vector<float> row(static_cast<size_t>(dp));
  std::vector<uint32_t> pairs(static_cast<size_t>(dh));
  for (int64_t b = 0; b < tiles; ++b)
    for (int64_t i = 0; i < kTileQ; ++i) {
      s.row(b * kTileQ + i, dp, row.data());
      row_pairs(row.data(), dp, pairs.data());
      uint32_t* o = out + b * dh * kTileQ + i;
      for (int64_t p = 0; p < dh; ++p) o[p * kTileQ] = pairs[static_cast<size_t>(p)];
    }
}

struct KeySideBf16 {
  KeyRowsBf16 rows;
  Pairs k, kp, v, vp;
};
void prepare_keys_bf16(KeySideBf16& side, const SegmentJob& job, int64_t d, int64_t dp, bool backward) {
  const Source ks{job.k, job.ldk, job.kf, job.ldkf, job.nk, d}, vs{job.v, job.ldk, nullptr, 0, job.nk, d};
  const int64_t rows = round_up(job.nk, 2);
  side.k = bf16_rows(ks, dp);
  if (backward) {
    side.kp = pair_rows(ks, rows, dp);
    side.v = bf16_rows(vs, dp);
  } else {
    side.vp = pair_rows(vs, rows, dp);
  }
  side.rows = {dp, job.nk, side.k.data(), side.kp.data(), side.v.data(), side.vp.data()};
}

// A few query rows, row by row (as forward_rows in attention_segments.cpp) on the same rounded
// operands: q, k, v and P rounded to bf16, products and sums in fp32.
void forward_rows_bf16(const SegmentJob& job, const KeyRowsBf16& keys, int64_t d, float scale, int64_t q0,
                       int64_t mt, const int32_t* lo, const int32_t* hi, float* o, float* lse) {
  const int64_t dp = keys.dp, dh = dp / 2;
  std::vector<float> qs(static_cast<size_t>(dp)), scores;
  for (int64_t i = 0; i < mt; ++i) {
    const Source qsrc{
        job.q + (q0 + i) * job.ldq, 0, job.qf ? job.qf + (q0 + i) * job.ldqf : nullptr, 0, 1, d};
    qsrc.row(0, dp, qs.data());
    for (float& x : qs) x = rounded(x);
    const int64_t a = lo[i], b = std::min<int64_t>(hi[i], keys.nk);
    float* out = o + i * dp;
    std::fill(out, out + dp, 0.f);
    if (a >= b) {
      lse[i] = kNegInf;
      continue;
    }
    scores.resize(static_cast<size_t>(b - a));
    float mx = kNegInf;
    for (int64_t j = a; j < b; ++j) {
      const uint32_t* kj = keys.k + j * dh;
      float s = 0.f;
      for (int64_t p = 0; p < dh; ++p) s += qs[2 * p] * lo_of(kj[p]) + qs[2 * p + 1] * hi_of(kj[p]);
      scores[static_cast<size_t>(j - a)] = s * scale;
      mx = std::max(mx, s * scale);
    }
    float z = 0.f;
    for (int64_t j = a; j < b; ++j) {
      const float p = std::exp(scores[static_cast<size_t>(j - a)] - mx);
      const float pr = rounded(p);
      const uint32_t* vrow = keys.vp + (j / 2) * dp;  // value row j inside its pair row
      z += p;
      for (int64_t t = 0; t < d; ++t) out[t] += pr * ((j & 1) ? hi_of(vrow[t]) : lo_of(vrow[t]));
    }
    for (int64_t t = 0; t < d; ++t) out[t] /= z;
    lse[i] = mx + std::log(z);
  }
}

}  // namespace

void forward_job_bf16(const SegmentJob& job, int64_t d, float scale, const TileKernels& kern) {
  if (job.mq <= 0 || job.nk <= 0) return;
  const int64_t dp = round_up(d, 16);
  KeySideBf16 side;
  prepare_keys_bf16(side, job, d, dp, false);
  const int64_t n_tiles = (job.mq + kTileQ - 1) / kTileQ;
  ln::parallel_for(int64_t{0}, n_tiles, [&](int64_t tile) {
    const int64_t q0 = tile * kTileQ, mt = std::min(kTileQ, job.mq - q0);
    Pairs qt(static_cast<size_t>(kTileQ * dp / 2));
    std::vector<float> o(static_cast<size_t>(kTileQ * dp));
    float lse[kTileQ];
    int32_t lo[kTileQ], hi[kTileQ];
    job_ranges(job, q0, mt, lo, hi);
    if (mt <= 4) {  // as the fp32 path (kSmallRows)
      forward_rows_bf16(job, side.rows, d, scale, q0, mt, lo, hi, o.data(), lse);
    } else {
      const Source qs{
          job.q + q0 * job.ldq, job.ldq, job.qf ? job.qf + q0 * job.ldqf : nullptr, job.ldqf, mt, d};
      transposed_pairs(qs, dp, qt.data());
      for (int64_t i = mt; i < kTileQ; ++i) {
        lo[i] = 0;
        hi[i] = kNoLimit;
      }
      kern.forward_bf16(side.rows, qt.data(), scale * kLog2e, mt, lo, hi, o.data(), lse);
    }
    merge_rows(job, q0, mt, d, dp, o.data(), lse);
  });
}

void backward_job_bf16(const SegmentJob& job, int64_t d, float scale, const TileKernels& kern, bool split) {
  if (job.mq <= 0 || job.nk <= 0) return;
  const int64_t dp = round_up(d, 16), nkp = round_up(job.nk, kTileK), mq = job.mq, mqp = round_up(mq, kTileQ);
  KeySideBf16 side;
  prepare_keys_bf16(side, job, d, dp, true);
  const Source qs{job.q, job.ldq, job.qf, job.ldqf, mq, d}, ds{job.dout, job.ldo, nullptr, 0, mq, d};
  const Pairs qn = pair_rows(qs, mqp, dp), dn = pair_rows(ds, mqp, dp);
  Pairs qt(static_cast<size_t>(mqp * dp / 2)), dt(static_cast<size_t>(mqp * dp / 2));
  transposed_pairs(qs, dp, qt.data());
  transposed_pairs(ds, dp, dt.data());
  std::vector<float> dq(static_cast<size_t>(mqp * dp)), dk(static_cast<size_t>(nkp * dp)),
      dv(static_cast<size_t>(nkp * dp));
  const BackwardRows rows = backward_rows(job);
  BwdSegmentBf16 seg{&side.rows,
                     mq,
                     qn.data(),
                     qt.data(),
                     dn.data(),
                     dt.data(),
                     rows.l2.data(),
                     rows.delta.data(),
                     rows.lo.data(),
                     rows.hi.data(),
                     scale,
                     dq.data(),
                     dk.data(),
                     dv.data(),
                     rows.ranges.data()};
  seg.end = nkp / kTileK;
  run_segment(seg, kern.backward_bf16, mqp / kTileQ, nkp / kTileK, split);
  add_gradients(job, d, dp, dq.data(), dk.data(), dv.data());
}

}  // namespace ln::attn
