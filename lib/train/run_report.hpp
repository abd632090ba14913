#pragma once
// What a training run reports into its folder: config.yaml and the run header, one metrics.jsonl
// row per step, validation and checkpoint, the summary row, and loss.svg, redrawn after each
// validation and checkpoint. Only the writer (rank 0 of a distributed run) writes; on the
// other ranks every call does nothing (validations are still tracked for best_val).
//
// Rows (metrics_log.hpp):
//   {"kind": "run", "step", "version", "config_sha256", "threads", "isa", "start_time", "resumed_from",
//   "init_from", "peak_gflops", "peak_source", "peak_isa", "peak_processes"}
//   {"kind": "train", "step", "loss", "lr", "grad_norm", "tokens", "elapsed_s", "step_s", "mfu",
//    "peak_gflops", the grid ("world", "sequence", "data": ranks, ranks per sequence, replicas)
//    and the busiest rank's communication in the step ("comm_exposed_s": waited for;
//    "comm_hidden_s": in flight behind compute, an upper bound of what the overlap saved;
//    "comm_bytes_recv", "comm_messages_recv": the sequence exchange; "gradient_bytes": the sums
//    over the world)}
// The peak_* and mfu fields come with set_mfu (train/mfu.hpp): mfu is this step's model FLOPs
// over its wall time (the slowest rank's), as a fraction of peak_gflops.
//   {"kind": "val", "step", "val_loss", "val_ppl", "scope": "split" | "subset", "val_tokens",
//   "val_split_tokens"}
//   {"kind": "checkpoint", "step", "path", "elapsed_s"}
//   {"kind": "summary", "step", "session_s", "elapsed_s", "tokens", "best_val_loss", "best_val_step",
//    "baseline_val_loss", "finished"}
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "score/held_out.hpp"
#include "train/metrics_log.hpp"
#include "train/mfu.hpp"
#include "train/train_step.hpp"

namespace ln {

class RunReport {
 public:
  RunReport(std::string run_dir, bool writer) : run_dir_(std::move(run_dir)), writer_(writer) {}

  // A new run truncates metrics.jsonl; a resumed one keeps its rows up to `step` and takes the
  // best validation loss so far from them.
  void open(bool resumed, int64_t step);
  // MFU in the run row (the peak) and the train rows; before header().
  void set_mfu(const MfuMeter& meter) { mfu_ = meter; }
  // config.yaml (the resolved config) and the run row.
  void header(const std::string& resolved_yaml, int64_t step, const std::string& resumed_from,
              const std::string& init_from);
  void train_row(int64_t step, const TrainStepStats& st, int64_t tokens, double elapsed_s);
  void val_row(int64_t step, const ValidationResult& val, bool whole_split);
  void checkpoint_row(int64_t step, const std::string& path, double elapsed_s);
  struct Summary {
    int64_t step = 0, tokens = 0;
    double session_s = 0, elapsed_s = 0, baseline_val_loss = 0;
    bool finished = false;
  };
  void summary(const Summary& s);

 private:
  void write_row(const JsonObject& row);
  void write_plot();

  std::string run_dir_;
  bool writer_;
  std::optional<MetricsLog> metrics_;
  std::optional<MfuMeter> mfu_;
  double best_val_ = std::numeric_limits<double>::infinity();
  int64_t best_val_step_ = -1;
};

}  // namespace ln
