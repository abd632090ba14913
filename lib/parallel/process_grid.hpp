#pragma once
// The process grid of a distributed run (DESIGN §4): the world's W processes as
// data x sequence, W = data * P with P = parallel.sequence. World rank = d * P + s: a sequence
// group is P consecutive ranks (one host first, when mpirun fills hosts in order), and the data
// group of sequence position s is every rank with that s. Without mpirun the grid is 1 x 1 and
// no MPI call is ever made.
#include <cstdint>
#include <memory>
#include <vector>

#include "core/tensor.hpp"
#include "kernels/sequence_exchange.hpp"

namespace ln::parallel {

// Bytes this rank sent and received and the wall time it spent inside communication calls.
struct CommStats {
  int64_t bytes_sent = 0, bytes_recv = 0;
  double seconds = 0;
};

class ProcessGrid {
 public:
  // ln::Error (the same one line on every rank) when the world size is not a multiple of P, or
  // P > 1 without mpirun.
  explicit ProcessGrid(int64_t sequence);
  ~ProcessGrid();
  ProcessGrid(const ProcessGrid&) = delete;
  ProcessGrid& operator=(const ProcessGrid&) = delete;

  int64_t world_rank() const { return world_rank_; }
  int64_t world_size() const { return world_size_; }
  int64_t sequence_rank() const { return world_rank_ % sequence_; }
  int64_t sequence_size() const { return sequence_; }
  int64_t data_rank() const { return world_rank_ / sequence_; }
  int64_t data_size() const { return world_size_ / sequence_; }
  bool is_root() const { return world_rank_ == 0; }  // the rank that writes files

  // The sequence-parallel exchange of this rank's sequence group (segment sub-communicators
  // are split from it on first use, per segment size).
  SequenceExchange& sequence();
  CommStats& sequence_stats();  // what sequence() moved
  CommStats& gradient_stats();  // what sum_gradients and sum_world moved

  // In-place sums over the whole world, identical on every rank afterwards.
  void sum_world(double* values, int64_t n);
  // Gradients (f32 tensors, in place): summed over the world in buckets of ~16 MB.
  void sum_gradients(const std::vector<Tensor>& grads);
  void barrier();

 private:
  struct Comms;
  int64_t sequence_ = 1, world_rank_ = 0, world_size_ = 1;
  std::unique_ptr<Comms> comms_;
};

// While alive, an ln::Error is known to be raised identically on every rank (configuration and
// grid checks before any communication): the CLI prints it once (rank 0) and every rank exits
// cleanly. Outside such a scope an error on one rank aborts the whole job.
class SymmetricErrorScope {
 public:
  SymmetricErrorScope();
  ~SymmetricErrorScope();

 private:
  int exceptions_;
};
// True inside a SymmetricErrorScope, or after an error has propagated out of one.
bool errors_are_symmetric();

}  // namespace ln::parallel
