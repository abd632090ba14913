#include "train/mfu.hpp"

namespace ln {

double MfuMeter::flops_per_token() const {
  return flops.tokens > 0 ? model_flops_per_step() / static_cast<double>(flops.tokens) : 0;
}

double MfuMeter::of_step(double step_seconds) const {
  return step_seconds > 0 ? model_flops_per_step() / step_seconds / peak_flops_per_s() : 0;
}

double MfuMeter::of_rate(double tokens_per_s) const {
  return tokens_per_s * flops_per_token() / peak_flops_per_s();
}

MfuMeter mfu_meter(const ModelSpec& spec, const BatchPlan& plan, Precision precision, int threads,
                   int64_t processes, double given_gflops) {
  MfuMeter meter;
  meter.flops = training_step_flops(spec, plan.sequences(), plan.seq_len);
  meter.peak = host_peak(precision, threads, given_gflops);
  meter.processes = processes;
  return meter;
}

}  // namespace ln
