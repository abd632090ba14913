#pragma once
// Model FLOPs utilisation (MFU), as nanoGPT prints it: the model FLOPs a training step must do
// per second of wall time, over the machine's peak at the thread count in use.
//   model FLOPs  nn/model_flops.hpp training_step_flops, the count `longnet flops` prints:
//                3 x matmuls + 3.5 x attention, recomputation (train.recompute) not counted;
//   peak         kernels/fma_peak.hpp host_peak for the run's precision (fp32: the FMA peak;
//                bf16: the vdpbf16ps peak where the CPU has it), measured once per process on
//                this host, or given (--peak-gflops, LONGNET_PEAK_GFLOPS);
//   processes    a distributed run divides by the peak of every process (world size x peak).
// Reported by `bench train` (mfu, peak_*), the progress line (MFU 41.2%) and metrics.jsonl (run
// row: the peak and where it came from; train rows: mfu and peak_gflops).
#include <cstdint>

#include "kernels/fma_peak.hpp"
#include "nn/model_flops.hpp"
#include "nn/model_spec.hpp"
#include "train/batch_plan.hpp"

namespace ln {

struct MfuMeter {
  StepFlops flops;        // one optimizer step (every process's part)
  PeakFlops peak;         // one process's
  int64_t processes = 1;  // MPI world size

  double model_flops_per_step() const { return flops.train(); }
  double flops_per_token() const;
  double peak_flops_per_s() const { return peak.gflops * 1e9 * static_cast<double>(processes); }
  double of_step(double step_seconds) const;  // MFU (a fraction) of a step that took this long
  double of_rate(double tokens_per_s) const;  // MFU at this many tokens/s
};

// The meter of a run: the step's FLOPs from the spec and the batch, the peak from host_peak
// (given_gflops > 0 skips the measurement).
MfuMeter mfu_meter(const ModelSpec& spec, const BatchPlan& plan, Precision precision, int threads,
                   int64_t processes, double given_gflops = 0);

}  // namespace ln
