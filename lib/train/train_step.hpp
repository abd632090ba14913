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
  int64_t bucket_floats = int64_t{1} << 22;  // gradient all-reduce buckets (layer_bucket_floats)
};

// ln::Error (the same line on every rank) when train.grad_accum does not divide the step's
// sequences or the micro-batch does not split over the data-parallel replicas.
BatchGeometry plan_geometry(const Config& config, parallel::ProcessGrid& grid);

// Floats per gradient bucket: one layer's parameters (names as LanguageModel::parameters gives
// them, "layers.0. ..."), within [1024, 2^22].
int64_t layer_bucket_floats(const std::vector<Var>& params, const std::vector<std::string>& names);

struct TrainStepStats {
  double loss = 0, lr = 0, grad_norm = 0;
  double forward_s = 0, backward_s = 0;  // wall time of the step's forwards and backwards
  // Distributed: what this rank's communication moved during the step (the sequence exchange
  // and the sums over the world), its exposed time (waited for) and its time in flight.
  parallel::CommStats sequence, gradients;
  // The busiest rank's figures (maxima over the world, TrainSession::train_step): step time,
  // communication exposed and in flight, sequence-exchange bytes and messages received.
  double step_s = 0, comm_exposed_s = 0, comm_flight_s = 0;
  int64_t comm_bytes_recv = 0, comm_messages_recv = 0, gradient_bytes = 0;
  int64_t world = 1, sequence_ranks = 1;
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
