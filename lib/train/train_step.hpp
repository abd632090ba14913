#pragma once
// One optimizer step of a TrainSession: the micro-batches' forwards and backwards (gradients
// summed over the world in a distributed run), clipping, AdamW. Nothing here reads or writes
// files; the session reports what it returns.
//
// BatchGeometry is the shape of a step: sequences per optimizer step split into grad_accum
// micro-batches, and this rank's part of each micro-batch in a distributed run (rows
// [first_row, first_row + rows), tokens [first_token, first_token + l) of each; the whole
// micro-batch in one process).
#include <cstdint>
#include <string>
#include <vector>

#include "autograd/var.hpp"
#include "config/config.hpp"
#include "nn/language_model.hpp"
#include "parallel/process_grid.hpp"
#include "train/adamw.hpp"
#include "train/batch_plan.hpp"
#include "train/batch_source.hpp"

namespace ln {

struct BatchGeometry {
  BatchPlan plan;
  int64_t T = 0, micro = 0;
  int64_t rows = 0, l = 0, first_row = 0, first_token = 0;
};

// ln::Error (the same line on every rank) when train.grad_accum does not divide the step's
// sequences or the micro-batch does not split over the data-parallel replicas.
BatchGeometry plan_geometry(const Config& config, parallel::ProcessGrid& grid);

struct TrainStepStats {
  double loss = 0, lr = 0, grad_norm = 0;
  double forward_s = 0, backward_s = 0;  // wall time of the step's forwards and backwards
  double step_s = 0;                     // wall time of the whole step (TrainSession::train_step)
};

// What a step works on; the session owns all of it.
struct StepParts {
  LanguageModel& model;
  AdamW& optimizer;
  const std::vector<Var>& params;
  const BatchSource& batches;
  const BatchGeometry& geometry;
  const TrainConfig& tc;
  parallel::ProcessGrid& grid;
};

// Optimizer step `step` at learning rate `lr`. `last_checkpoint` names the checkpoint to fall
// back to in the error a non-finite loss or gradient norm raises.
TrainStepStats run_train_step(const StepParts& parts, int64_t step, double lr,
                              const std::string& last_checkpoint);

}  // namespace ln
