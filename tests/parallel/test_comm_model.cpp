// The communication `bench dist --model` prints equals what the MPI exchange measures, byte for
// byte and message for message, on every rank, forward and backward, causal and bidirectional;
// with w/r constant the busiest rank's bytes stay flat as N and P grow together, and its
// messages (the fan-in) grow as log2 P.
#include <doctest/doctest.h>

#include <chrono>

#include "ops/sequence_parallel_attention.hpp"
#include "parallel/comm_model.hpp"
#include "parallel/process_grid.hpp"
#include "parallel_test_util.hpp"

using namespace ln;
using namespace ln::test;

TEST_CASE("measured bytes per rank equal the analytic model") {
  const int64_t world = parallel::ProcessGrid(1).world_size();
  for (int64_t P = 2; P <= world; ++P) {
    if (world % P != 0) continue;
    for (bool causal : {true, false}) {
      parallel::ProcessGrid grid(P);
      const int64_t B = 1, H = 2, D = 4, l = 32, N = P * l, R = grid.sequence_rank();
      AttentionSpec spec = parallel::constant_ratio_patterns(N, 8);
      spec.causal = causal;
      Var q(Tensor::from(same_random(B * H * l * D, 1 + R), {B, H, l, D}), true);
      Var k(Tensor::from(same_random(B * H * l * D, 2 + R), {B, H, l, D}), true);
      Var v(Tensor::from(same_random(B * H * l * D, 3 + R), {B, H, l, D}), true);
      parallel::CommStats& stats = grid.sequence_stats();
      Var o = sequence_parallel_attention(q, k, v, spec, grid.sequence());
      const parallel::CommStats fwd = stats;
      o.backward(Tensor::full(o.shape(), 1.f));
      const parallel::RankTraffic want = parallel::modelled_traffic(spec, B, H, D, N, P, R);
      INFO("P = ", P, " rank ", R, " causal ", causal);
      CHECK(fwd.bytes_sent == want.fwd_sent);
      CHECK(fwd.bytes_recv == want.fwd_recv);
      CHECK(stats.bytes_sent - fwd.bytes_sent == want.bwd_sent);
      CHECK(stats.bytes_recv - fwd.bytes_recv == want.bwd_recv);
      CHECK(fwd.messages_sent == want.fwd_messages_sent);
      CHECK(fwd.messages_recv == want.fwd_messages_recv);
      CHECK(stats.messages_sent - fwd.messages_sent == want.fwd_messages_recv);
      CHECK(stats.messages_recv - fwd.messages_recv == want.fwd_messages_sent);
      CHECK(want.fwd_recv + want.fwd_sent > 0);
    }
  }
}

TEST_CASE("with w/r constant the busiest rank's traffic is flat as N and P grow together") {
  // 262144 tokens per rank (N = 2^30 at P = 4096), w/r = 8192: the long pattern's pieces
  // shrink as 1/P while their count grows as P - 1, so the last rank's receive volume tends to
  // 8192 rows per head of k and v: 16 MiB at H = 4, D = 64.
  int64_t previous = 0;
  for (int64_t P = 2; P <= 4096; P *= 2) {
    const int64_t N = P * 262144;
    const AttentionSpec spec = parallel::constant_ratio_patterns(N, 8192);
    const auto last = parallel::modelled_traffic(spec, 1, 4, 64, N, P, P - 1);
    CHECK(last.fwd_recv == (P - 1) * (16 * 1024 * 1024 / P));  // (P-1)/P * 16 MiB
    CHECK(last.fwd_recv < 16 * 1024 * 1024);
    CHECK(last.fwd_recv >= previous);
    previous = last.fwd_recv;
    // One long pattern spans the whole group: the last rank hears from log2 P senders (a flat
    // fan-in would be P - 1), in log2 P rounds (the other patterns are local at l = 262144).
    int64_t log2P = 0;
    while ((int64_t{1} << log2P) < P) ++log2P;
    CHECK(last.fwd_messages_recv == log2P);
    CHECK(last.rounds == log2P);
  }
}

TEST_CASE("time in flight is the union of the exchanges' intervals, counted once") {
  parallel::FlightClock clock;
  CHECK(clock.count(10, 20) == 10);  // the first
  CHECK(clock.count(12, 25) == 5);   // overlaps it: only [20, 25] is new
  CHECK(clock.count(14, 18) == 0);   // inside what was counted
  CHECK(clock.count(30, 31) == 1);   // after a gap
  CHECK(clock.count(5, 40) == 9);    // started earlier: counted past 31 only (an undercount)
}

TEST_CASE("two long patterns in flight together: their time in flight never exceeds the passes' wall time") {
  // Two patterns longer than l post their gathers together, before the local one; a sum of
  // their times in flight would count the overlap twice.
  const int64_t world = parallel::ProcessGrid(1).world_size();
  if (world < 4 || world % 4 != 0) return;
  parallel::ProcessGrid grid(4);
  const int64_t B = 1, H = 4, D = 8, l = 256, N = 4 * l, R = grid.sequence_rank();
  AttentionSpec spec;
  spec.segments = {64, 2 * l, N};
  spec.dilations = {1, 2, 4};
  Var q(Tensor::from(same_random(B * H * l * D, 1 + R), {B, H, l, D}), true);
  Var k(Tensor::from(same_random(B * H * l * D, 2 + R), {B, H, l, D}), true);
  Var v(Tensor::from(same_random(B * H * l * D, 3 + R), {B, H, l, D}), true);
  parallel::CommStats& stats = grid.sequence_stats();
  const parallel::CommStats before = stats;
  const auto t0 = std::chrono::steady_clock::now();
  Var o = sequence_parallel_attention(q, k, v, spec, grid.sequence());
  o.backward(Tensor::full(o.shape(), 1.f));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const parallel::CommStats d = stats - before;
  INFO("rank ", R, ": in flight ", d.flight_seconds, " s, exposed ", d.seconds, " s, wall ", wall, " s");
  CHECK(d.messages_sent + d.messages_recv > 0);
  CHECK(d.seconds <= d.flight_seconds + 1e-6);
  CHECK(d.flight_seconds <= wall + 1e-6);
}
