#pragma once
// One training run, piece by piece: train() (trainer.hpp) is the loop around it, and other
// drivers (a distributed trainer) can drive it the same way.
//
//   TrainSession s(config, options);   // set-up: lock, resume point, config, data, model, optimizer
//                                      // (options.synthetic_data: bench train, no folder or data)
//   if (s.finished_already() || s.stopped_in_setup()) return s.result();
//   while (s.step() < s.config().train.steps) {
//     TrainSession::StepStats st = s.train_step();   // one optimizer step (+ a train row)
//     if (...) s.validate(whole);                    // + a val row
//     if (...) s.save();                             // checkpoint, rotation, plot
//   }
//   s.finish();                                      // the summary row
//
// The session is a few rooms, each its own file: the run folder and the config it trains with
// (run_start.hpp over run/run_folder.hpp: lock, crash leftovers, resume choice, damaged
// checkpoints), the data and the batch source (run_data.hpp, batch_source.hpp: corpus windows,
// or bench train's random tokens), the step (train_step.hpp) and the reporting (run_report.hpp:
// config.yaml, metrics.jsonl, loss.svg). Checkpoints are written here.
//
// Hooks: the step has one place where the step's gradients are complete before clipping and the
// optimizer (marked HOOK in train_step.cpp; a distributed run has summed them there). Under
// mpirun rank 0 alone takes the lock and writes the folder (the only lock holder: ranks may
// share one file system, and a second holder would be refused); the other ranks only read.
#include <cstdint>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "score/held_out.hpp"
#include "train/batch_plan.hpp"
#include "train/memory_estimate.hpp"
#include "train/mfu.hpp"
#include "train/train_step.hpp"
#include "train/trainer.hpp"

namespace ln {

class LanguageModel;

class TrainSession {
 public:
  // Everything before the first step (trainer.hpp describes the rules). ln::Error on any
  // refused input; a stop signal seen before the run's files are written ends the set-up early
  // (stopped_in_setup()).
  TrainSession(const Config& config, const TrainOptions& options);
  ~TrainSession();
  TrainSession(const TrainSession&) = delete;
  TrainSession& operator=(const TrainSession&) = delete;

  bool finished_already() const;  // the run had reached train.steps: nothing was loaded
  bool stopped_in_setup() const;  // a stop signal arrived during set-up: nothing was written
  const Config& config() const;   // the config this run trains with (on resume: the run's own)
  const BatchPlan& plan() const;
  int64_t step() const;            // optimizer steps done
  int64_t first_step() const;      // the step this session started at
  bool has_validation() const;     // the run has a validation split
  double session_seconds() const;  // since the first step of this session

  using StepStats = TrainStepStats;  // loss, lr, grad_norm, forward_s, backward_s (train_step.hpp)
  StepStats train_step();
  // whole: the entire split, as `longnet eval --validation-split` scores it; otherwise the
  // fixed subset of train.eval_batches batches (score/held_out.hpp).
  ValidationResult validate(bool whole);
  void save();    // a checkpoint of the current step (rank 0 writes it; every rank calls it)
  void finish();  // the summary row; saves first if this session trained and never saved
  // Distributed runs (mpirun, lib/parallel): every rank drives its own session in lockstep; rank 0
  // alone writes the run folder and reports. any_rank is a collective: true when `flag` is
  // true on some rank (so every rank stops at the same step); `flag` itself in one process.
  bool any_rank(bool flag);
  bool is_root() const;  // rank 0 (always, in one process)
  const TrainResult& result() const;
  TrainResult& result();
  // What was built (bench train reports them). Valid unless finished_already()/stopped_in_setup().
  const LanguageModel& model() const;
  const MemoryEstimate& memory_estimate() const;
  // MFU (train/mfu.hpp): the writer's meter, nullptr on other ranks and in bench train.
  const MfuMeter* mfu() const;
  int64_t decayed_parameters() const;  // elements AdamW applies weight decay to

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace ln
