#pragma once
// Internal to lib/kernels/attention: what the attention files share and nothing outside
// this folder includes (other layers use attention_kernel.hpp, attention_spec.hpp and
// positions.hpp). Two parts, bottom to top:
//
// 1. The SIMD tile kernels of flash attention over one "segment" (a set of query rows
// against a set of key rows, each query seeing a contiguous key range [lo, hi)). Every
// attention kind is a sequence of such segments (dilated_attention.cpp, sparse_attention.cpp).
//
// The kernels work on transposed scores S^T (keys x queries): a query tile's Q^T is packed
// once and reused against every key tile, keys and values are read as plain rows (in place,
// at any row stride), and the online softmax runs down the key axis with the queries across
// the SIMD lanes, so no horizontal reductions. Operands are zero-padded to dp = round_up(D, 16)
// columns. Two builds of the same template code: attention_tile_avx512.cpp, _avx2.cpp.
// bf16 mode (Precision::bf16) has its own tile bodies (attention_tile_bf16_impl.inc:
// the same products on bf16 operands in pair layouts, the same fp32 softmax), built with the
// exact fp32-FMA fallback in both of those files and with vdpbf16ps in
// attention_tile_avx512_bf16.cpp; its jobs pack their operands in attention_segments_bf16.cpp.
//
// 2. Passes: lists of "segment jobs" (a set of query rows against a set of key rows, each
// query row seeing a contiguous range of those keys), run with the tile kernels in parallel
// with TBB. Every attention kind is built from such passes (dilated_attention.cpp,
// sparse_attention.cpp). Within one pass, no two jobs share an output row, so the result does
// not depend on scheduling: the kernels are deterministic for any thread count.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "core/parallel_for.hpp"
#include "kernels/attention/attention_kernel.hpp"

namespace ln::attn {

// The online softmax's constants, shared by the segment drivers (fp32 and bf16).
inline constexpr float kLog2e = 1.44269504088896341f;
inline constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// ---- 1. tile kernels (attention_tile.cpp, attention_tile_avx2.cpp, attention_tile_avx512.cpp)

constexpr int64_t kTileQ = 64;  // query rows per tile (the SIMD lanes of S^T)
constexpr int64_t kTileK = 64;  // keys per tile
constexpr int32_t kNoLimit = 0x7fffffff;

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// Key rows: row j of K at k + j * ldk (dp readable floats, zero beyond D), likewise V.
struct KeyRows {
  int64_t dp = 0, nk = 0;
  const float* k = nullptr;
  int64_t ldk = 0;
  const float* v = nullptr;
  int64_t ldv = 0;
};

// One query tile of mt <= kTileQ rows. qt: (dp, kTileQ) Q^T, already multiplied by
// scale * log2(e), zero in columns >= mt. lo/hi: kTileQ entries (padding rows: 0 / kNoLimit).
// Writes o: (mt, dp) normalised and lse: (mt) natural-log log-sum-exp (-inf for empty rows).
using FwdTileFn = void (*)(const KeyRows& keys, const float* qt, int64_t mt, const int32_t* lo,
                           const int32_t* hi, float* o, float* lse);

// Union of a query tile's key ranges and the range all its rows see (padding rows, i >= mt,
// never restrict).
struct TileRange {
  int64_t kmin, kmax;      // keys some row sees: [kmin, kmax)
  int64_t max_lo, min_hi;  // keys every row sees: [max_lo, min_hi)
};
inline TileRange tile_range(const int32_t* lo, const int32_t* hi, int64_t mt, int64_t nk) {
  TileRange r{nk, 0, 0, kNoLimit};
  for (int64_t i = 0; i < kTileQ; ++i) {
    if (i < mt && lo[i] < hi[i]) {
      r.kmin = r.kmin < lo[i] ? r.kmin : lo[i];
      const int64_t h = hi[i] < nk ? hi[i] : nk;
      r.kmax = r.kmax > h ? r.kmax : h;
    }
    if (lo[i] > r.max_lo) r.max_lo = lo[i];
    if (hi[i] < r.min_hi) r.min_hi = hi[i];
  }
  return r;
}

// All query rows of a segment (mq, padded to mqp = round_up(mq, kTileQ)) against its keys.
// qn, dn: (mqp, dp) Q (unscaled) and dO; qt, dt: per query tile a (dp, kTileQ) block of Q^T /
// dO^T; l2: final log-sum-exp times log2(e), +inf for padding and empty rows; delta:
// rowsum(dO * O). Accumulates (+=) into dq: (mqp, dp) and dk, dv: (round_up(nk, kTileK), dp).
// part: fused = everything, for key tiles [begin, end); keys = dk, dv only, key tiles
// [begin, end); queries = dq only, query tiles [begin, end). Every (key tile, query tile) pair
// is computed by the same instructions in every part, and each output accumulates over its
// pairs in the same order (dk, dv over query tiles ascending, dq over key tiles ascending), so
// a split run is bit-identical to a fused one.
enum class BwdPart { fused, keys, queries };
// One segment's backward, generic over the operand form: Op is float (fp32 mode) or uint32_t
// (bf16 pairs, below); Keys is the matching key-side struct.
template <class Op, class Keys>
struct BwdSegmentOf {
  const Keys* keys;
  int64_t mq;
  const Op* qn;
  const Op* qt;
  const Op* dn;
  const Op* dt;
  const float* l2;
  const float* delta;
  const int32_t* lo;
  const int32_t* hi;
  float scale;
  float* dq;
  float* dk;
  float* dv;
  const TileRange* ranges;  // one per query tile
  BwdPart part = BwdPart::fused;
  int64_t begin = 0, end = 0;
};
using BwdSegment = BwdSegmentOf<float, KeyRows>;
using BwdSegmentFn = void (*)(const BwdSegment& seg);

// bf16 mode (Precision::bf16, attention_tile_bf16_impl.inc). Operands are bf16 (round
// to nearest even) held in uint32 "pairs" (element 2p in the low half), the form vdpbf16ps
// multiplies. "bf16 rows" of a matrix: row i is its dp / 2 pairs (columns 2p, 2p + 1); "pair
// rows": row p holds, for every column t, the pair (row 2p, row 2p + 1) of column t.
struct KeyRowsBf16 {
  int64_t dp = 0, nk = 0;
  const uint32_t* k = nullptr;   // (nk, dp / 2) bf16 rows of K (decayed)
  const uint32_t* kp = nullptr;  // (round_up(nk, 2) / 2, dp) pair rows of K; backward only
  const uint32_t* v = nullptr;   // (nk, dp / 2) bf16 rows of V; backward only
  const uint32_t* vp = nullptr;  // (round_up(nk, 2) / 2, dp) pair rows of V; forward only
};
// qt: (dp / 2, kTileQ) pair rows of the tile's Q^T (column i = query row i, zero past mt),
// unscaled: the scores are multiplied by smul = scale * log2(e) in fp32. Otherwise as FwdTileFn.
using FwdTileBf16Fn = void (*)(const KeyRowsBf16& keys, const uint32_t* qt, float smul, int64_t mt,
                               const int32_t* lo, const int32_t* hi, float* o, float* lse);
// BwdSegment with bf16 operands: qn, dn: (mqp / 2, dp) pair rows of Q and dO; qt, dt: per query
// tile a (dp / 2, kTileQ) block of pair rows of Q^T / dO^T (block t at t * kTileQ * dp / 2).
using BwdSegmentBf16 = BwdSegmentOf<uint32_t, KeyRowsBf16>;
using BwdSegmentBf16Fn = void (*)(const BwdSegmentBf16& seg);

struct TileKernels {
  FwdTileFn forward;
  BwdSegmentFn backward;
  const char* name;
  FwdTileBf16Fn forward_bf16;
  BwdSegmentBf16Fn backward_bf16;
  const char* bf16_dot;  // "vdpbf16ps" or "fma" (the exact fallback)
};
const TileKernels& tile_kernels();  // the path chosen (set_attention_isa, set_attention_bf16_dot, CPU)

#define LN_ATTN_TILE_DECLS                                                                                  \
  void forward_tile(const KeyRows&, const float*, int64_t, const int32_t*, const int32_t*, float*, float*); \
  void backward_segment(const BwdSegment&);                                                                 \
  void forward_tile_bf16(const KeyRowsBf16&, const uint32_t*, float, int64_t, const int32_t*,               \
                         const int32_t*, float*, float*);                                                   \
  void backward_segment_bf16(const BwdSegmentBf16&);
namespace avx512 {
LN_ATTN_TILE_DECLS
}  // namespace avx512
namespace avx512bf16 {  // vdpbf16ps (its fp32 entry points are the avx512 ones, unused)
LN_ATTN_TILE_DECLS
}  // namespace avx512bf16
namespace avx2 {
LN_ATTN_TILE_DECLS
}  // namespace avx2
#undef LN_ATTN_TILE_DECLS

// ---- 2. segment jobs and passes (attention_segments.cpp, dilated_attention.cpp,
//         sparse_attention.cpp)

struct SegmentJob {
  // Query rows: row i at q + i * ldq; the same rows of o/dout/dq (ldo) and of lse/delta (ldl).
  int64_t mq = 0;
  const float* q = nullptr;
  int64_t ldq = 0;
  const float* qf = nullptr;  // XPOS decay factors, row i at qf + i * ldf (dp floats), or null
  int64_t ldqf = 0;
  // Key rows: row j at k + j * ldk (v, dk, dv alike).
  int64_t nk = 0;
  const float* k = nullptr;
  const float* v = nullptr;
  int64_t ldk = 0;
  const float* kf = nullptr;
  int64_t ldkf = 0;
  // Visible keys of query row i: [lo, hi) = [0, clamp(i + causal_shift + 1, 0, nk)) when causal,
  // else [0, nk); or, when `ranges` is set, whatever it writes for rows i0 .. i0 + n - 1.
  bool causal = false;
  int64_t causal_shift = 0;
  std::function<void(int64_t i0, int64_t n, int32_t* lo, int32_t* hi)> ranges;
  // Forward outputs (merged by log-sum-exp into what is there) / backward inputs.
  float* o = nullptr;
  int64_t ldo = 0;
  float* lse = nullptr;
  int64_t ldl = 0;
  const float* dout = nullptr;
  const float* delta = nullptr;
  // Backward outputs (added to).
  float* dq = nullptr;
  float* dk = nullptr;
  float* dv = nullptr;
};

// Forward over a pass: for every job, attends its query rows to its keys and LSE-merges the
// result into (o, lse). d: head dim; scale: softmax scale.
void run_forward_pass(const std::vector<SegmentJob>& jobs, int64_t d, float scale, Precision precision);
// Backward over a pass: adds every job's contribution to dq, dk, dv, given the final o/lse
// (through lse and delta = rowsum(dout * o)).
void run_backward_pass(const std::vector<SegmentJob>& jobs, int64_t d, float scale, Precision precision);

// What one job's fp32 (attention_segments.cpp) and bf16 (attention_segments_bf16.cpp) paths share.
// Visible key range [lo, hi) of the job's query rows i0 .. i0 + n - 1.
void job_ranges(const SegmentJob& job, int64_t i0, int64_t n, int32_t* lo, int32_t* hi);
// LSE-merges a tile's result o: (mt, dp), lse: (mt) into the job's rows q0 .. q0 + mt - 1 (rows
// owned by this job alone within the pass).
void merge_rows(const SegmentJob& job, int64_t q0, int64_t mt, int64_t d, int64_t dp, const float* o,
                const float* lse);
// The backward's per-row inputs, padded to mqp = round_up(mq, kTileQ) rows (see BwdSegment).
struct BackwardRows {
  std::vector<float> l2, delta;
  std::vector<int32_t> lo, hi;
  std::vector<TileRange> ranges;  // one per query tile
};
BackwardRows backward_rows(const SegmentJob& job);
// Adds the kernels' dq: (mqp, dp), dk, dv: (nkp, dp) (of the decayed q', k') to the job's outputs.
void add_gradients(const SegmentJob& job, int64_t d, int64_t dp, const float* dq, const float* dk,
                   const float* dv);
// Runs a backward segment whole, or split (too few jobs to occupy the threads): dK/dV by key
// tiles, then dQ by query tiles, each part recomputing P (1.4x the work, bit-identical; BwdPart).
template <class Seg>
void run_segment(const Seg& seg, void (*kernel)(const Seg&), int64_t n_qt, int64_t n_kt, bool split) {
  if (!split) return kernel(seg);
  constexpr int64_t kChunk = 2;
  ln::parallel_for(int64_t{0}, (n_kt + kChunk - 1) / kChunk, [&](int64_t c) {
    Seg part = seg;
    part.part = BwdPart::keys;
    part.begin = c * kChunk;
    part.end = std::min(n_kt, part.begin + kChunk);
    kernel(part);
  });
  ln::parallel_for(int64_t{0}, (n_qt + kChunk - 1) / kChunk, [&](int64_t c) {
    Seg part = seg;
    part.part = BwdPart::queries;
    part.begin = c * kChunk;
    part.end = std::min(n_qt, part.begin + kChunk);
    kernel(part);
  });
}
// bf16 mode of one job (attention_segments_bf16.cpp).
void forward_job_bf16(const SegmentJob& job, int64_t d, float scale, const TileKernels& kern);
void backward_job_bf16(const SegmentJob& job, int64_t d, float scale, const TileKernels& kern, bool split);

// A pass: jobs with disjoint output rows, plus whatever buffers they point into (XPOS tables,
// gathered keys) and an optional step after the backward (scatter gathered dk/dv back).
struct AttentionPass {
  std::vector<SegmentJob> jobs;
  std::vector<std::shared_ptr<std::vector<float>>> owned;
  std::vector<std::shared_ptr<const void>> keep_alive;
  std::function<void()> after_backward;
};

struct AttentionBuffers {
  const float* q = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  float* o = nullptr;
  float* lse = nullptr;
  const float* dout = nullptr;
  const float* delta = nullptr;
  float* dq = nullptr;
  float* dk = nullptr;
  float* dv = nullptr;
};

// Points a job's query-side rows (q, o, lse, dout, delta, dq) at row `qrow` of the buffers that
// are present; D floats per row, lse and delta one. Every pass builder's jobs read them so.
inline void point_query_rows(SegmentJob& job, const AttentionBuffers& buf, int64_t qrow, int64_t D) {
  if (buf.q) job.q = buf.q + qrow * D;
  if (buf.o) job.o = buf.o + qrow * D;
  if (buf.lse) job.lse = buf.lse + qrow;
  if (buf.dout) job.dout = buf.dout + qrow * D;
  if (buf.delta) job.delta = buf.delta + qrow;
  if (buf.dq) job.dq = buf.dq + qrow * D;
}

inline int64_t resolved_seq_len(const AttentionDims& dims, const AttentionWindow& window) {
  if (window.seq_len > 0) return window.seq_len;
  return std::max(window.q_start + dims.q_len, window.k_start + dims.k_len);
}

// One pass per pattern (kind dilated; kind dense is the single pattern (N, 1)). With
// tables = false no XPOS tables are built (for counting work only).
std::vector<AttentionPass> dilated_passes(const AttentionSpec& spec, const AttentionDims& dims,
                                          const AttentionWindow& window, const AttentionBuffers& buf,
                                          bool tables = true);
// Kind sparse: the local-block pass and the summary-column pass(es).
std::vector<AttentionPass> sparse_passes(const AttentionSpec& spec, const AttentionDims& dims,
                                         const AttentionWindow& window, const AttentionBuffers& buf,
                                         bool tables = true);
// Sum over jobs of the visible (query, key) pairs.
double count_pairs(const std::vector<AttentionPass>& passes);

}  // namespace ln::attn
