#pragma once
// Internal: the SIMD tile kernels of flash attention over one "segment" (a set of query rows
// against a set of key rows, each query seeing a contiguous key range [lo, hi)). Every
// attention kind is a sequence of such segments (dilated_attention.cpp, sparse_attention.cpp).
// Operands arrive packed by the caller: zero-padded to dp = round_up(D, 16) columns and keys
// padded to nkp = round_up(nk, kTileK) rows, so the SIMD code has no edge cases in D.
// Two builds of the same template code: attention_tile_avx512.cpp and attention_tile_avx2.cpp.
#include <cstdint>

namespace ln::attn {

constexpr int64_t kTileQ = 64;  // query rows per tile
constexpr int64_t kTileK = 64;  // keys per tile

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

struct PackedKeys {
  int64_t dp = 0, nk = 0, nkp = 0;
  // Transposed operands are stored tile by tile, (nkp / kTileK, dp, kTileK), so one key tile's
  // block is contiguous: a (dp, nkp) layout would put its dp rows a power-of-two stride apart,
  // all in the same L1 set.
  const float* kt = nullptr;  // K transposed, tiled           (forward and backward)
  const float* vn = nullptr;  // (nkp, dp): V                  (forward)
  const float* kn = nullptr;  // (nkp, dp): K                  (backward)
  const float* vt = nullptr;  // V transposed, tiled           (backward)
};

// One query tile, mt <= kTileQ rows. qp: (mt, dp), already multiplied by scale * log2(e).
// Writes o: (mt, dp) normalised, lse: (mt) natural-log log-sum-exp (-inf for empty rows).
using FwdTileFn = void (*)(const PackedKeys& keys, const float* qp, int64_t mt, const int32_t* lo,
                           const int32_t* hi, float* o, float* lse);

// All query rows of a segment against all its keys. qp, dop: (mq, dp) (qp unscaled); l2: the
// final log-sum-exp times log2(e); delta: rowsum(dO * O). Accumulates (+=) into dqp: (mq, dp),
// dkp, dvp: (nkp, dp) (scaled by `scale` where the chain rule says so).
struct BwdSegment {
  const PackedKeys* keys;
  int64_t mq;
  const float* qp;
  const float* dop;
  const float* l2;
  const float* delta;
  const int32_t* lo;
  const int32_t* hi;
  float scale;
  float* dqp;
  float* dkp;
  float* dvp;
};
using BwdSegmentFn = void (*)(const BwdSegment& seg);

struct TileKernels {
  FwdTileFn forward;
  BwdSegmentFn backward;
  const char* name;
};
const TileKernels& tile_kernels();  // the path chosen (set_attention_isa / CPU)

namespace avx512 {
void forward_tile(const PackedKeys&, const float*, int64_t, const int32_t*, const int32_t*, float*, float*);
void backward_segment(const BwdSegment&);
}  // namespace avx512
namespace avx2 {
void forward_tile(const PackedKeys&, const float*, int64_t, const int32_t*, const int32_t*, float*, float*);
void backward_segment(const BwdSegment&);
}  // namespace avx2

}  // namespace ln::attn
