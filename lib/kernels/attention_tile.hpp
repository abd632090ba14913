#pragma once
// Internal: the SIMD tile kernels of flash attention over one "segment" (a set of query rows
// against a set of key rows, each query seeing a contiguous key range [lo, hi)). Every
// attention kind is a sequence of such segments (dilated_attention.cpp, sparse_attention.cpp).
//
// The kernels work on transposed scores S^T (keys x queries): a query tile's Q^T is packed
// once and reused against every key tile, keys and values are read as plain rows (in place,
// at any row stride), and the online softmax runs down the key axis with the queries across
// the SIMD lanes, so no horizontal reductions. Operands are zero-padded to dp = round_up(D, 16)
// columns. Two builds of the same template code: attention_tile_avx512.cpp, _avx2.cpp.
#include <cstdint>

namespace ln::attn {

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
using FwdTileFn = void (*)(const KeyRows& keys, const float* qt, int64_t mt, const int32_t* lo, const int32_t* hi,
                           float* o, float* lse);

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

}  // namespace ln::attn
