#pragma once
// The machine's multiply-add peak: what every MFU figure divides by (`longnet bench peak`, the
// `mfu` of `bench train`, the training progress line and metrics.jsonl).
//
// The probe is a register-resident loop: each thread keeps `accumulators` independent vector
// chains (enough to cover the instruction's latency on every CPU we know of) and feeds them
// constants, so nothing but the multiply-add units is timed.
//   fp32: acc = fma(acc, a, b)                             2 FLOPs per fp32 lane per instruction
//   bf16: acc += a.lo * b.lo + a.hi * b.hi  (vdpbf16ps)    4 FLOPs per fp32 lane per instruction
// (a bf16 multiply-add counts 2, as oneDNN and `bench matmul` count a bf16 GEMM). On a CPU
// without AVX512-BF16 a bf16 run multiplies on the fp32 FMA units (rounded operands), so its
// peak is the fp32 loop's.
//
// The paths: AVX-512 (function-level target attributes, fma_peak_avx512.cpp, only called when
// cpu_features.hpp says the CPU has it) and the AVX2+FMA baseline. The plain-loop twin of each
// loop is kernels/reference/fma_peak.hpp; tests/kernels/test_fma_peak.cpp holds them together.
#include <cstdint>
#include <string>
#include <vector>

#include "core/precision.hpp"

namespace ln {

// One SIMD path of the probe. run() does `iters` rounds over the accumulators, which start at
// peak_start_value(j, l, lanes) (accumulator j, lane l), and stores them, accumulator-major,
// to out[accumulators * lanes]. a and b are the constants it multiplies (the bf16 loop rounds
// them to bf16 and uses the pair (a, a) against (b, b)).
struct PeakLoop {
  const char* isa;     // "avx512" or "avx2" (fp32 FMA), "vdpbf16ps" (bf16 dot product)
  const char* op;      // "fma" or "dot"
  int lanes;           // fp32 lanes per vector: 16 (AVX-512) or 8 (AVX2)
  int accumulators;    // independent chains per thread
  int flops_per_lane;  // per instruction: 2 (FMA) or 4 (vdpbf16ps)
  void (*run)(int64_t iters, float a, float b, float* out);
};

inline float peak_start_value(int accumulator, int lane, int lanes) {
  return static_cast<float>(accumulator * lanes + lane);
}

// FLOPs of one run() call of `iters` rounds, on one thread.
int64_t peak_loop_flops(const PeakLoop& loop, int64_t iters);

// The path the probe uses for a precision on this CPU (the widest it runs).
const PeakLoop& peak_loop(Precision precision);
// Every path this CPU can run for a precision, widest first (tests compare each to the reference).
std::vector<const PeakLoop*> peak_loops_available(Precision precision);

struct PeakMeasurement {
  Precision precision = Precision::fp32;
  int threads = 1;
  const PeakLoop* loop = nullptr;
  int64_t iters = 0;  // rounds per thread per repeat
  int repeats = 0;
  double gflops = 0;         // the fastest repeat: the least disturbed on a shared machine
  double gflops_median = 0;  // the median repeat
  double seconds = 0;        // wall time of all repeats
};

// `threads` threads each run the loop for about `seconds_per_repeat`, started together; the rate
// is the FLOPs of all threads over the wall time from the start to the last one finishing.
PeakMeasurement measure_peak(Precision precision, int threads, double seconds_per_repeat = 0.2,
                             int repeats = 5);

// The peak an MFU figure divides by, for a run of `precision` on `threads` threads.
struct PeakFlops {
  double gflops = 0;
  std::string source;  // "measured", the flag that gave it (e.g. "--peak-gflops"), or "LONGNET_PEAK_GFLOPS"
  std::string isa;     // the probe's path when measured ("" when given)
  int threads = 0;
  Precision precision = Precision::fp32;
};

// given_gflops > 0 (from the flag `given_by`): that. Else LONGNET_PEAK_GFLOPS, when set (a
// positive number; anything else is an ln::Error naming it). Else measured: briefly (about
// 0.1 s), once per process for each (precision, threads), then cached.
PeakFlops host_peak(Precision precision, int threads, double given_gflops = 0,
                    const std::string& given_by = "--peak-gflops");

// "fp32 FMA peak 374 GFLOP/s at 2 threads (measured, avx512)", "bf16 peak 767 GFLOP/s at 2
// threads (LONGNET_PEAK_GFLOPS)": for set-up lines.
std::string describe_peak(const PeakFlops& peak);

}  // namespace ln
