#pragma once
// SequenceExchange on MPI (DESIGN §4): the sparsified K/V gather within a segment group and
// its adjoint reduce-scatter, by point-to-point messages on the sequence group's communicator,
// in ceil(log2 G) rounds (fan-in with logarithmic latency):
//   causal: a prefix gather (Hillis-Steele): in round k rank j sends the pieces it holds,
//     [max(0, j - 2^k + 1), j], to j + 2^k; rank j receives only from earlier ranks of its
//     segment, j pieces in all, in floor(log2 j) + 1 messages;
//   bidirectional: Bruck's all-gather: in round k rank j sends its first min(2^k, G - 2^k)
//     pieces (in rotated order, its own first) to j - 2^k mod G; G - 1 pieces each way.
// The reduce-scatter runs the same rounds backwards, adding what comes back. An exchange is
// posted at start_* and advanced round by round by the watchdog thread (watchdog.hpp) while
// the caller computes, and by finish(). parallel/comm_model.hpp counts the same bytes and
// messages analytically.
#include <mpi.h>

#include <vector>

#include "kernels/sequence_exchange.hpp"
#include "parallel/process_grid.hpp"

namespace ln::parallel {

class MpiSequenceExchange final : public SequenceExchange {
 public:
  // comm: the sequence group (MPI_COMM_NULL when P = 1); rank, ranks: R and P.
  MpiSequenceExchange(MPI_Comm comm, int64_t rank, int64_t ranks);

  int64_t rank() const override { return rank_; }
  int64_t ranks() const override { return ranks_; }
  std::unique_ptr<Pending> start_gather(const float* mine, float* out, int64_t count, int64_t group,
                                        bool causal) override;
  std::unique_ptr<Pending> start_reduce_scatter(const float* pieces, float* mine, int64_t count,
                                                int64_t group, bool causal) override;
  CommStats& stats() { return stats_; }

 private:
  MPI_Comm comm_;
  int64_t rank_, ranks_;
  int64_t started_ = 0;  // exchanges started: their tags (the same count on every rank)
  CommStats stats_;
};

}  // namespace ln::parallel
