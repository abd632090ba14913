#pragma once
// Plain-loop twins of the peak probe's loops (kernels/fma_peak.hpp), one lane at a time:
// out[j * lanes + l] is accumulator j, lane l after `iters` rounds from peak_start_value(j, l).
#include <cstdint>

namespace ln::reference {

// acc = fma(acc, a, b): one rounding, as the FMA instruction.
void peak_fma(int64_t iters, int accumulators, int lanes, float a, float b, float* out);
// acc += (a * b + a * b) with a and b rounded to bf16 (vdpbf16ps on the pairs (a, a), (b, b)).
// The same bits as the instruction whenever the products and sums are exact in fp32 (the
// instruction's own rounding of the intermediate sum differs between CPUs).
void peak_bf16_dot(int64_t iters, int accumulators, int lanes, float a, float b, float* out);

// FLOPs of one call of either loop above, counted one multiply and one add at a time.
int64_t peak_flops(int64_t iters, int accumulators, int lanes, bool bf16_dot);

}  // namespace ln::reference
