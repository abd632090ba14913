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

// glibc serves blocks above 32 MiB with fresh mmaps and returns them on free, so every
// training step would page-fault its activations in again (~15% of a step at T = 8K).
// Keep blocks up to 1 GiB in the heap and never trim its top: a step's peak is the next
// step's too (at T = 131K trimming re-faulted ~1.3M pages per step).
// Call once at start-up (the longnet binary and the test runner do).
void tune_allocator_for_large_tensors();
}  // namespace ln
