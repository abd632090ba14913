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
//
// 2. Passes: lists of "segment jobs" (a set of query rows against a set of key rows, each
// query row seeing a contiguous range of those keys), run with the tile kernels in parallel
// with TBB. Every attention kind is built from such passes (dilated_attention.cpp,
// sparse_attention.cpp). Within one pass, no two jobs share an output row, so the result does
// not depend on scheduling: the kernels are deterministic for any thread count.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "kernels/attention/attention_kernel.hpp"

namespace ln::attn {

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
struct BwdSegment {
  const KeyRows* keys;
  int64_t mq;
  const float* qn;
  const float* qt;
  const float* dn;
  const float* dt;
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
using BwdSegmentFn = void (*)(const BwdSegment& seg);

struct TileKernels {
  FwdTileFn forward;
  BwdSegmentFn backward;
  const char* name;
};
const TileKernels& tile_kernels();  // the path chosen (set_attention_isa / CPU)

namespace avx512 {
void forward_tile(const KeyRows&, const float*, int64_t, const int32_t*, const int32_t*, float*, float*);
void backward_segment(const BwdSegment&);
}  // namespace avx512
namespace avx2 {
void forward_tile(const KeyRows&, const float*, int64_t, const int32_t*, const int32_t*, float*, float*);
void backward_segment(const BwdSegment&);
}  // namespace avx2

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
void run_forward_pass(const std::vector<SegmentJob>& jobs, int64_t d, float scale);
// Backward over a pass: adds every job's contribution to dq, dk, dv, given the final o/lse
// (through lse and delta = rowsum(dout * o)).
void run_backward_pass(const std::vector<SegmentJob>& jobs, int64_t d, float scale);

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
