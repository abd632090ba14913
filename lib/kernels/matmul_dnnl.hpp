#pragma once
// Batched matrix multiplication on oneDNN's `dnnl::matmul` primitive:
//
//     C[i] = op(A[i]) · op(B[i]) (+ bias) (+ C[i] if accumulate)      for i in [0, batch)
//
// A: (batch, M, K), or (batch, K, M) stored when trans_a (op(A) = Aᵀ).
// B: (batch, K, N), or (batch, N, K) stored when trans_b (op(B) = Bᵀ).
// C: (batch, M, N), contiguous row-major, always f32.
// bias: (N,) f32 or null; added to every row of every C[i].
//
// Every matrix is row-major and dense inside itself. Transposes are expressed with memory
// descriptor strides (no copies). Each operand has its own batch stride in elements:
// -1 means "packed" (M·K for A, K·N for B), 0 means "the same matrix for every batch item"
// (a 2-D weight broadcast over a batch), anything else must be at least the matrix size.
// When B is broadcast and A is packed and not transposed, the batch is folded into M and
// the call is one 2-D GEMM (faster than a batched primitive with a broadcast operand).
//
// `accumulate` makes C += A·B (a oneDNN sum post-op: C is read and written once, no
// temporary), so gradient accumulation into an existing buffer costs nothing extra.
//
// Inputs may be f32 or bf16 (both A and B the same type); C and bias are f32. bf16 needs a
// CPU with AVX-512 (oneDNN has no bf16 matmul below avx512_core): check
// `matmul_bf16_supported()` first; on other CPUs the bf16 overload throws ln::Error.
//
// Threads and state: the process has one dnnl engine and one stream (function-local
// statics) and a primitive cache keyed by (batch, M, K, N, batch strides, dtype,
// transposes, bias, accumulate, OpenMP thread count), guarded by a mutex.
// Debian's oneDNN is built on OpenMP (libgomp): a primitive runs on the calling thread's
// OpenMP team, sized by omp_set_num_threads() of *that* thread (ln::set_threads() sets the
// main thread's). Call these functions from the main thread only — never from inside a TBB
// task or another pool's worker, which would start a second OpenMP team and oversubscribe
// the cores.
#include <cstdint>
#include <string>

#include "core/bf16.hpp"

namespace ln {

struct MatmulShape {
  int64_t batch = 1;
  int64_t m = 0, k = 0, n = 0;
  bool trans_a = false;         // A is stored (K, M): op(A) = Aᵀ
  bool trans_b = false;         // B is stored (N, K): op(B) = Bᵀ
  int64_t batch_stride_a = -1;  // elements between A[i] and A[i+1]; -1 packed, 0 broadcast
  int64_t batch_stride_b = -1;  // same for B
};

// f32 · f32 -> f32.
void matmul_dnnl(const MatmulShape& shape, const float* a, const float* b, const float* bias, float* c,
                 bool accumulate = false);
// bf16 · bf16 -> f32 (fp32 accumulation inside oneDNN).
void matmul_dnnl(const MatmulShape& shape, const bf16* a, const bf16* b, const float* bias, float* c,
                 bool accumulate = false);

// Whether oneDNN can run the bf16 overload on this CPU.
bool matmul_bf16_supported();

// Primitive cache counters (process-wide). A call whose key was seen before is a hit.
struct MatmulCacheStats {
  int64_t hits = 0;
  int64_t misses = 0;   // primitives created
  int64_t entries = 0;  // primitives held now
};
MatmulCacheStats matmul_cache_stats();
void matmul_cache_clear();  // drops every cached primitive (counters are kept)

// Diagnostics for benchmarks: oneDNN's name of the implementation it picks for this shape
// (e.g. "brg:avx512_core_amx"), its version and CPU runtime, and the ISA it dispatches to.
std::string matmul_dnnl_impl(const MatmulShape& shape, bool bf16_inputs);
std::string dnnl_version_string();  // "2.6.3 (cpu_runtime=OpenMP)"
std::string dnnl_isa_name();        // "avx512_core_amx", "avx2", ...

}  // namespace ln
