#pragma once
// SequenceExchange on MPI (DESIGN §4): the sparsified K/V gather within a segment group and
// its adjoint reduce-scatter, by point-to-point messages on a sub-communicator per segment
// size, so a rank talks only to the ranks of its own segment, and (causal) a rank's keys go
// only to itself and the later ranks of the segment: the first rank of a segment receives
// nothing and the last receives from all the others.
#include <mpi.h>

#include <map>
#include <vector>

#include "kernels/sequence_exchange.hpp"
#include "parallel/process_grid.hpp"

namespace ln::parallel {

class MpiSequenceExchange final : public SequenceExchange {
 public:
  // comm: the sequence group (MPI_COMM_NULL when P = 1); rank, ranks: R and P.
  MpiSequenceExchange(MPI_Comm comm, int64_t rank, int64_t ranks);
  ~MpiSequenceExchange() override;

  int64_t rank() const override { return rank_; }
  int64_t ranks() const override { return ranks_; }
  void segment_gather(const float* mine, float* out, int64_t count, int64_t group, bool causal) override;
  void segment_reduce_scatter(const float* pieces, float* mine, int64_t count, int64_t group,
                              bool causal) override;
  CommStats& stats() { return stats_; }

 private:
  MPI_Comm segment_comm(int64_t group);  // split from comm_ on first use, collectively
  MPI_Comm comm_;
  int64_t rank_, ranks_;
  std::map<int64_t, MPI_Comm> segments_;  // group size -> sub-communicator
  CommStats stats_;
};

}  // namespace ln::parallel
