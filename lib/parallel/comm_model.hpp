#pragma once
// The communication of sequence-parallel attention computed analytically (DESIGN §4): what each
// rank of a sequence group sends and receives per layer, forward (the sparsified K/V gather)
// and backward (the reduce-scatter of their gradients), and a first-order time model. bench
// dist prints it for groups far beyond this machine and tests hold it equal to the measured
// bytes at P <= 4.
#include <cstdint>

#include "kernels/attention/attention_spec.hpp"

namespace ln::parallel {

struct RankTraffic {
  int64_t fwd_sent = 0, fwd_recv = 0, bwd_sent = 0, bwd_recv = 0;  // bytes, one layer
  int64_t fwd_messages_sent = 0, fwd_messages_recv = 0;            // the backward's are swapped
  int64_t rounds = 0;  // sequential rounds of the exchange, summed over the long patterns
};

// Rank R of P holding l = N / P positions of B sequences, H heads of D dims, fp32 keys and
// values; each long pattern's piece is 2*B*H*(l/r)*D*4 bytes (k and v). The exchange runs in
// rounds (parallel/mpi_exchange.hpp); for rank j of a segment of G ranks (G cut short by P):
//   causal: receives j pieces in floor(log2 j) + 1 messages (none for j = 0); sends, in each
//     round k with j + 2^k < G, min(2^k, j + 1) pieces;
//   bidirectional: sends and receives G - 1 pieces in ceil(log2 G) messages each way.
// The backward moves the same pieces the other way.
RankTraffic modelled_traffic(const AttentionSpec& spec, int64_t B, int64_t H, int64_t D, int64_t N, int64_t P,
                             int64_t R);

// Useful forward FLOPs of one rank's attention (4*D per visited (query, key) pair, causal
// segments half full): B*H*l * sum_p w'_p / (2 r_p^2) * 4 * D. The backward is 2.5x this.
double modelled_forward_flops(const AttentionSpec& spec, int64_t B, int64_t H, int64_t D, int64_t N,
                              int64_t P);

// The pattern set of `bench dist`: w/r = base for every pattern, so each long pattern's
// sparsified keys are `base` rows per head whatever N: (base, 1), (4*base, 4), (N, N/base).
AttentionSpec constant_ratio_patterns(int64_t N, int64_t base);

}  // namespace ln::parallel
