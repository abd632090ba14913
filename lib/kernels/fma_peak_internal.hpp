#pragma once
// The probe's loops (fma_peak.hpp): fma_peak.cpp dispatches between them.
#include <cstdint>

namespace ln::peak {

// AVX-512 (fma_peak_avx512.cpp): 16 accumulators of 16 lanes. Call only when the CPU has it.
void fma_avx512(int64_t iters, float a, float b, float* out);
void dot_avx512bf16(int64_t iters, float a, float b, float* out);  // needs AVX512-BF16

}  // namespace ln::peak
