#pragma once
// Where tensor storage comes from. A training step allocates and frees the same large tensors
// every step. From glibc's heap they leave holes that the next step's differently-sized tensors
// cannot reuse, so resident memory grew step after step past the live tensors (1.7x their peak
// at T = 64K with recompute blocks after four steps); from fresh mmaps they cost a page fault
// per 4 KiB on every step (+30% CPU time at T = 8K).
//
// So blocks of at least kPoolMinBytes come from a pool of page-aligned mappings that outlive
// the tensors: a freed block waits, still resident, for the next request of its size class (8
// classes per power of two), which is the next step's same tensor. A block only becomes
// resident where a tensor wrote to it, so rounding up to the class costs address space, not
// memory. Resident memory then stays near the peak of live tensors, and steps after the first
// fault nothing in. Idle blocks are kept only while all mapped blocks stay within 9/8 of the
// most ever in use plus 64 MiB (the largest idle classes are unmapped first), so no sequence of
// sizes can make the pool hold much more than the program's peak. Smaller blocks come from
// the heap (aligned_alloc).
//
// Under AddressSanitizer or ThreadSanitizer every block comes from the heap, so the sanitizers
// see each allocation.
#include <cstddef>
#include <cstdint>

namespace ln {

inline constexpr size_t kPoolMinBytes = size_t{1} << 20;

// Whether large blocks are pooled in this build (not under ASan or TSan).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kTensorPoolEnabled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kTensorPoolEnabled = false;
#else
inline constexpr bool kTensorPoolEnabled = true;
#endif
#else
inline constexpr bool kTensorPoolEnabled = true;
#endif

// 64-byte aligned storage of at least `bytes` bytes, or nullptr when the system has no memory.
void* tensor_storage_acquire(size_t bytes);
// Returns a block from tensor_storage_acquire(bytes) (the same `bytes`).
void tensor_storage_release(void* block, size_t bytes);

// The size class a pooled request of `bytes` is served from (bytes itself below kPoolMinBytes).
size_t tensor_pool_class_bytes(size_t bytes);

struct TensorPoolStats {
  uint64_t mapped_bytes = 0;       // address space of every pooled block, in use or idle
  uint64_t idle_bytes = 0;         // of which waiting for reuse
  uint64_t peak_mapped_bytes = 0;  // high-water mark of mapped_bytes
  uint64_t reuses = 0;             // requests served by an idle block
  uint64_t maps = 0;               // requests that mapped a new block
};
TensorPoolStats tensor_pool_stats();

// Unmaps every idle block (their memory goes back to the system); in-use blocks are untouched.
void tensor_pool_release_idle();

}  // namespace ln
