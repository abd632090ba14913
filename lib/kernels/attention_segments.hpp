#pragma once
// Internal: runs lists of "segment jobs" (a set of query rows against a set of key rows, each
// query row seeing a contiguous range of those keys) with the SIMD tile kernels, in parallel
// with TBB. Every attention kind is built from such passes (dilated_attention.cpp,
// sparse_attention.cpp). Within one pass, no two jobs share an output row, so the result does
// not depend on scheduling: the kernels are deterministic for any thread count.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "kernels/attention_kernel.hpp"

namespace ln::attn {

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

// How a backward job is parallelised: whole (one task per job) or split into a key-tile part
// and a query-tile part (more tasks, 1.4x the work). automatic splits when a pass has fewer
// jobs than threads. Results are bit-identical either way; the switch is for tests.
enum class BackwardSplit { automatic, never, always };
void set_backward_split(BackwardSplit policy);

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
