#pragma once
// Process memory figures for benchmarks and memory estimates.
#include <cstdint>

namespace ln {
uint64_t peak_rss_bytes();     // high-water mark of resident memory (getrusage)
uint64_t current_rss_bytes();  // resident now (/proc/self/statm)
uint64_t total_ram_bytes();    // physical memory of the machine

// Bytes held by live Tensor storages now, and their high-water mark since the last reset
// (exact, counted in Storage; for memory tests and `bench train`'s estimate check).
uint64_t tensor_bytes_live();
uint64_t tensor_bytes_peak();
void reset_tensor_bytes_peak();  // peak := live

// Tensors of 1 MiB and more come from core/tensor_pool.hpp, which keeps their pages across
// steps. For the smaller blocks left to malloc: glibc serves blocks above 128 KiB (rising to
// 32 MiB) with fresh mmaps and returns them on free, so every step would page-fault them in
// again; keep them in the heap and never trim its top, a step's peak being the next step's.
// Call once at start-up (the longnet binary and the test runner do).
void tune_allocator_for_large_tensors();
}  // namespace ln
