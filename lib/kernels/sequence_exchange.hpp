#pragma once
// The communication a sequence-parallel attention needs (DESIGN §4), as an interface: the
// attention op (lib/ops/sequence_parallel_attention) calls it, lib/parallel implements it on MPI,
// and tests may implement it in one process. Pointers and sizes only, like the kernels.
//
// The P ranks of a sequence group hold consecutive slices of one sequence: rank R holds the
// positions [R*l, (R+1)*l). A pattern whose segment spans G = w'/l ranks forms segment groups
// of G consecutive ranks: [first, first + G) with first = R / G * G (the last one may be cut
// short by P). Every call is collective over the segment group of the caller, and the ranks of
// a sequence group start their exchanges in the same order.
//
// start_* posts an exchange and returns at once, so the caller computes while it flies; the
// buffers must stay untouched until the returned Pending's finish() (or its destructor) returns.
#include <cstdint>
#include <memory>

namespace ln {

class SequenceExchange {
 public:
  class Pending {
   public:
    virtual ~Pending() = default;
    virtual void finish() = 0;  // waits for the exchange; the results are in place afterwards
  };

  virtual ~SequenceExchange() = default;
  virtual int64_t rank() const = 0;   // R within the sequence group
  virtual int64_t ranks() const = 0;  // P

  // out receives `count` floats from each rank first .. last of the caller's segment group of
  // `group` ranks, in rank order (the caller's own piece included, copied from `mine`), where
  // last = R when `causal` (a rank never needs later keys) and the group's last rank otherwise.
  virtual std::unique_ptr<Pending> start_gather(const float* mine, float* out, int64_t count, int64_t group,
                                                bool causal) = 0;

  // The adjoint of the gather: `pieces` holds one piece of `count` floats per rank first ..
  // last (as the gather delivered them); each goes back to its owner, and `mine` is set to the
  // sum of the pieces every rank of the group holds for the caller (summed in a fixed order).
  virtual std::unique_ptr<Pending> start_reduce_scatter(const float* pieces, float* mine, int64_t count,
                                                        int64_t group, bool causal) = 0;

  // Blocking forms: start, then finish.
  void segment_gather(const float* mine, float* out, int64_t count, int64_t group, bool causal) {
    start_gather(mine, out, count, group, causal)->finish();
  }
  void segment_reduce_scatter(const float* pieces, float* mine, int64_t count, int64_t group, bool causal) {
    start_reduce_scatter(pieces, mine, count, group, causal)->finish();
  }
};

}  // namespace ln
