#pragma once
// The attention kernels (dense, sparse, dilated) behind one interface: pointers and sizes in,
// results out, no autograd. Semantics: DESIGN.md §2 and lib/kernels/attention/attention_spec.hpp.
//
// Windows (for sequence parallelism, DESIGN §4, and decoding, §3, see below): the q rows held are the
// global positions [q_start, q_start + Tq), the k/v rows [k_start, k_start + Tk). Segments are
// laid out on global positions (w' = min(w, seq_len)). A query sees exactly the keys the
// semantics give it *among the rows passed*; rows not passed are simply absent.
//
// keys_sparsified (kind dilated with exactly one pattern (w, r) only): k/v of head h hold only
// that head's keys of one segment, in order: row j is the global position k_start + g(h) + j*r,
// where k_start is the start of a segment (a multiple of w'). Rows past the segment's end are
// ignored. This is what a rank receives after the sparsified all-gather of DESIGN §4.
//
// How the windows are used (both are exercised in tests/kernels/test_attention_kernels.cpp):
//  - Decoding at position t (DESIGN §3) is *possible* through the window API: q_len = 1 (or
//    the few new tokens), q_start = t; keys/values = the last w_max positions [k0, t] with
//    k0 = max(0, t - w_max + 1), linearised into (B, H, t + 1 - k0, D), k_start = k0;
//    seq_len = 0 (causal results do not depend on it). Keys after rotation (RoPE/XPOS
//    rotation with their global positions); XPOS's decay is applied here. Tiles of <= 4 query
//    rows take a row-by-row path. The test pins this equivalence (DESIGN §2 invariant 3 at the
//    kernel level). Generation does NOT decode through it: lib/generate/kv_cache.cpp keeps per
//    pattern and head only that head's sparse keys of the current segment (sum_p w_p / r_p
//    rows, XPOS key decay applied once when a key arrives; sparse kind: plus its summary
//    columns), where this API wants w_max dense rows per head, and attends with its own loop,
//    which tests/generate/test_kv_cache.cpp holds against the full forward and against the
//    plain-loop reference (kernels/reference/attention_reference.hpp).
//  - Sequence-parallel rank R holding positions [R*l, (R+1)*l) (DESIGN §4): for patterns with
//    w <= l, q_start = k_start = R*l on its own rows; for w > l, one call per pattern with the
//    gathered, sparsified keys of its segment from the segment start s up to (R+1)*l
//    (keys_sparsified, k_start = s, k_len = ((R+1)*l - s) / r), all with accumulate = true
//    after initialising o = 0, lse = -inf. Backward: the same calls with the final o/lse and
//    accumulate = true; dk/dv of the sparsified keys go back by reduce-scatter.
//
// Positions: the kernels apply XPOS's decay (when spec.positions == xpos) per pattern, centred
// on each pattern's segment (kind dilated and sparse's local blocks) or on the sequence middle
// (kind dense, sparse's summary columns). The rotation (RoPE, or XPOS's) is NOT applied here:
// rotate q and k with global positions first (kernels/attention/positions.hpp).
#include <cstdint>

#include "core/precision.hpp"
#include "kernels/attention/attention_spec.hpp"

namespace ln {

// The precision of the kernel's products. fp32: everything fp32. bf16: the operands of every
// product are rounded to bf16 (round to nearest even) -- Q, K and V (after XPOS decay), the
// probabilities P before P.V, and in the backward dO and scale * dS -- and the products
// accumulate in fp32 (vdpbf16ps where the CPU has AVX512-BF16, else fp32 FMAs on the same
// rounded operands, which is exact: a bf16 x bf16 product fits fp32). Scores are scaled in
// fp32 after the product; softmax statistics (max, sum, lse), the o accumulators and every
// output stay fp32 (AttentionDims::precision, core/precision.hpp). The ops layer passes the
// model's matmul precision.

struct AttentionDims {
  int64_t batch = 1, heads = 1;
  int64_t q_len = 0, k_len = 0;  // Tq, Tk
  int64_t head_dim = 0;          // D
  float scale = 0.f;             // 0 means 1/sqrt(D)
  Precision precision = Precision::fp32;
};

struct AttentionWindow {
  int64_t q_start = 0;  // global position of query row 0
  int64_t k_start = 0;  // global position of key row 0 (see keys_sparsified)
  int64_t seq_len = 0;  // global sequence length N; 0 means max(q_start + Tq, k_start + Tk)
  bool keys_sparsified = false;
  // forward: o/lse already hold a partial result (lse = -inf where none) to be LSE-merged with
  // this call's keys; backward: add into dq/dk/dv instead of overwriting them.
  bool accumulate = false;
};

// Contract: `spec` has passed validate_attention_spec(spec, dims.heads, dims.head_dim) where it
// was built (once, not per call); the calls below check only the sizes and the window.
//
// q: (B, H, Tq, D), k, v: (B, H, Tk, D) -> o: (B, H, Tq, D), lse: (B, H, Tq) natural log.
// A row that no key reaches (possible when a dilation exceeds the heads) gets o = 0, lse = -inf.
void attention_forward(const AttentionSpec& spec, const AttentionDims& dims, const AttentionWindow& window,
                       const float* q, const float* k, const float* v, float* o, float* lse);

// The exact gradient of attention_forward (DESIGN §2: one flash backward over the multiset),
// given its (final, merged) o and lse. dout: (B, H, Tq, D); dq like q, dk/dv like k/v.
void attention_backward(const AttentionSpec& spec, const AttentionDims& dims, const AttentionWindow& window,
                        const float* q, const float* k, const float* v, const float* o, const float* lse,
                        const float* dout, float* dq, float* dk, float* dv);

// Useful FLOPs of the forward (the score and value products actually needed, 4*D per visited
// (query, key) pair, the mask respected); the backward counts 2.5x this.
double attention_forward_flops(const AttentionSpec& spec, const AttentionDims& dims,
                               const AttentionWindow& window = {});

// Which SIMD path the tile kernels use. automatic = AVX-512 when the CPU has it, else AVX2.
enum class AttentionIsa { automatic, avx2, avx512 };
void set_attention_isa(AttentionIsa isa);  // for tests and benchmarks
const char* attention_isa_name();          // the path in force: "avx512" or "avx2"

// How bf16 mode multiplies: automatic = vdpbf16ps when the CPU has AVX512-BF16 (and the
// AVX-512 path is in force), else the exact fallback (fp32 FMAs on the rounded operands);
// fallback forces the latter (for tests: both must agree up to summation order).
enum class AttentionBf16Dot { automatic, fallback };
void set_attention_bf16_dot(AttentionBf16Dot dot);
const char* attention_bf16_dot_name();  // "vdpbf16ps" or "fma" (the path bf16 mode uses now)

// How the backward parallelises a job: whole (one task per job) or split into a key-tile part
// and a query-tile part (more tasks, 1.4x the work). automatic splits when a pass has fewer
// jobs than threads. Results are bit-identical either way; the switch is for tests.
enum class AttentionBackwardSplit { automatic, never, always };
void set_attention_backward_split(AttentionBackwardSplit policy);

}  // namespace ln
