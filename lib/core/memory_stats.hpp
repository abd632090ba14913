#pragma once
// Process memory figures for benchmarks and memory estimates.
#include <cstdint>

namespace ln {
uint64_t peak_rss_bytes();     // high-water mark of resident memory (getrusage)
uint64_t current_rss_bytes();  // resident now (/proc/self/statm)
uint64_t total_ram_bytes();    // physical memory of the machine
}  // namespace ln
