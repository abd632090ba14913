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

// What this rank's communication moved and what it cost: bytes and messages (point-to-point
// messages, or one per collective call), the time this rank waited for it (exposed: not hidden
// behind compute), and the time from posting to completion as its waits saw it (in flight; the
// part of it not waited for ran behind compute).
// The union of time intervals, counted as they come (CommStats::add_flight): count(start, done)
// returns the part of [start, done] past the end of every interval counted before. Exact for
// intervals that come in the order they started; one that started earlier counts only past
// that end (an undercount, never an overcount).
class FlightClock {
 public:
  double count(double start, double done);

 private:
  double until_ = 0;
};

struct CommStats {
  int64_t bytes_sent = 0, bytes_recv = 0;
  int64_t messages_sent = 0, messages_recv = 0;
  double seconds = 0;         // exposed
  double flight_seconds = 0;  // posted to completed, not counted twice (add_flight; >= seconds)
  CommStats& operator+=(const CommStats& o);
  CommStats operator-(const CommStats& o) const;
  // Adds the time [start, done] (steady-clock seconds) was in flight, less what an exchange
  // counted before already covered: exchanges overlap one another (two long patterns of a
  // layer, gradient buckets beside the reduce-scatters), and what compute hides behind is the
  // time *some* exchange is in flight, which must not exceed the step. One FlightClock per
  // process, for the sequence and the gradient statistics alike; exchanges are counted as they
  // finish, which is the order they were posted in.
  void add_flight(double start, double done);
};

class ProcessGrid {
 public:
  // ln::Error (the same one line on every rank) when the world size is not a multiple of P, or
  // P > 1 without mpirun. timeout_s > 0 sets the deadline of every wait (parallel.timeout_s,
  // watchdog.hpp); 0 keeps the one in force.
  explicit ProcessGrid(int64_t sequence, double timeout_s = 0);
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
  // In-place maxima over the whole world (reports: the busiest rank's figures).
  void max_world(double* values, int64_t n);
  // Gradients (f32 tensors, in place): summed over the world in buckets of ~16 MB, blocking
  // (the trainer overlaps them with the backward instead: gradient_sum.hpp).
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
