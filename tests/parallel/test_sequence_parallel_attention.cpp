// The sequence-parallel attention op on P ranks equals the single-process attention op over
// the whole sequence: forward and the gradients of q, k and v, for causal and bidirectional
// attention, both head-offset rules, no positions, RoPE and XPOS, every P that divides the
// world (P = 2 and 4 under mpirun -np 4, so also a 2 x 2 data x sequence grid).
#include <doctest/doctest.h>

#include <string>

#include "core/error.hpp"
#include "ops/attention.hpp"
#include "ops/sequence_parallel_attention.hpp"
#include "parallel/mpi_session.hpp"
#include "parallel/process_grid.hpp"
#include "parallel_test_util.hpp"

using namespace ln;
using namespace ln::test;

namespace {

AttentionSpec make_spec(bool causal, HeadOffset rule, PositionKind pos) {
  AttentionSpec s;
  s.kind = AttentionKind::dilated;
  // With N = 64: w = 8 and 16 stay local for P <= 4; 32 spans 2 ranks at P = 4; 64 (and 128,
  // cut to N) spans the whole group. Dilations up to 4 exceed nothing: l >= 16.
  s.segments = {8, 16, 32, 128};
  s.dilations = {1, 2, 2, 4};
  s.causal = causal;
  s.head_offset = rule;
  s.positions = pos;
  s.xpos_scale_base = 32.f;  // a visible decay over a 64-token sequence
  return s;
}

struct Grads {
  std::vector<float> o, dq, dk, dv;
};

Grads run(const Var& q, const Var& k, const Var& v, Var out, const std::vector<float>& dout) {
  out.backward(Tensor::from(dout, out.shape()));
  return {out.value().to_vector(), q.grad().to_vector(), k.grad().to_vector(), v.grad().to_vector()};
}

void check_case(int64_t P, const AttentionSpec& spec) {
  parallel::ProcessGrid grid(P);
  const int64_t B = 2, H = 4, N = 64, D = 8, l = N / P, R = grid.sequence_rank();
  // The same whole-sequence inputs on every rank; data-parallel replicas use other data.
  const uint64_t seed = 100 + 7 * static_cast<uint64_t>(grid.data_rank());
  auto q = same_random(B * H * N * D, seed), k = same_random(B * H * N * D, seed + 1),
       v = same_random(B * H * N * D, seed + 2), dout = same_random(B * H * N * D, seed + 3);

  Var qf(Tensor::from(q, {B, H, N, D}), true), kf(Tensor::from(k, {B, H, N, D}), true),
      vf(Tensor::from(v, {B, H, N, D}), true);
  Grads full = run(qf, kf, vf, attention(qf, kf, vf, spec), dout);

  auto mine = [&](const std::vector<float>& x) { return slice_rows(x, B * H, N, D, R * l, l); };
  Var ql(Tensor::from(mine(q), {B, H, l, D}), true), kl(Tensor::from(mine(k), {B, H, l, D}), true),
      vl(Tensor::from(mine(v), {B, H, l, D}), true);
  Grads part = run(ql, kl, vl, sequence_parallel_attention(ql, kl, vl, spec, grid.sequence()), mine(dout));

  INFO("P = ", P, " rank ", grid.world_rank(), " causal ", spec.causal, " rule ",
       std::string(to_string(spec.head_offset)), " positions ", std::string(to_string(spec.positions)));
  CHECK(relative_error(part.o, mine(full.o)) < 1e-6);
  CHECK(relative_error(part.dq, mine(full.dq)) < 1e-6);
  CHECK(relative_error(part.dk, mine(full.dk)) < 1e-6);
  CHECK(relative_error(part.dv, mine(full.dv)) < 1e-6);
}

std::vector<int64_t> sequence_sizes(int64_t world) {
  std::vector<int64_t> out;
  for (int64_t P = 2; P <= world; ++P)
    if (world % P == 0) out.push_back(P);
  return out;
}

}  // namespace

TEST_CASE("sequence-parallel attention equals the single-process op, forward and every input gradient") {
  const int64_t world = parallel::ProcessGrid(1).world_size();
  if (world == 1)
    MESSAGE("one rank: only the P = 1 path runs; ctest runs this binary under mpirun -np 2 and 4");
  for (int64_t P : sequence_sizes(world))
    for (bool causal : {true, false})
      for (HeadOffset rule : {HeadOffset::mod, HeadOffset::block})
        for (PositionKind pos : {PositionKind::none, PositionKind::rope, PositionKind::xpos})
          check_case(P, make_spec(causal, rule, pos));
}

TEST_CASE("a segment of 3 ranks at P = 4: the last, short segment is one rank alone") {
  const int64_t world = parallel::ProcessGrid(1).world_size();
  if (world % 4 != 0) return;
  for (bool causal : {true, false}) {
    // N = 64, l = 16: w = 48 groups ranks {0, 1, 2} and {3}; its last segment [48, 64) is short.
    AttentionSpec spec = make_spec(causal, HeadOffset::mod, PositionKind::rope);
    spec.segments = {16, 48, 64};
    spec.dilations = {1, 2, 4};
    check_case(4, spec);
  }
}

TEST_CASE("a bad grid or a sequence that does not split gives one clear line") {
  const int64_t world = parallel::ProcessGrid(1).world_size();
  auto message_of = [](auto&& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.message());
    }
    return std::string();
  };
  const std::string grid_error = message_of([&] { parallel::ProcessGrid grid(world + 1); });
  CHECK(grid_error.find(!parallel::mpi_active()
                            ? "needs a launch by mpirun"
                            : "is not a multiple of parallel.sequence") != std::string::npos);

  AttentionSpec spec = make_spec(true, HeadOffset::mod, PositionKind::none);
  CHECK(message_of([&] { check_sequence_split(spec, 64, 4); }).empty());
  CHECK(message_of([&] { check_sequence_split(spec, 64, 3); }).find("not a multiple of parallel.sequence") !=
        std::string::npos);
  // l = 8: w = 16 spans 2 ranks, but dilation 4 still divides 8; l = 4 with r = 8 does not.
  spec.dilations = {1, 2, 2, 8};
  CHECK(message_of([&] {
          check_sequence_split(spec, 64, 16);
        }).find("attention.dilations[3] = 8 does not divide") != std::string::npos);
  spec = make_spec(true, HeadOffset::mod, PositionKind::none);
  spec.segments = {8, 16, 24, 128};  // l = 16: 24 is neither a multiple nor a divisor
  CHECK(message_of([&] { check_sequence_split(spec, 64, 4); }).find("attention.segments[2] = 24") !=
        std::string::npos);
  spec.kind = AttentionKind::dense;
  CHECK(message_of([&] {
          check_sequence_split(spec, 64, 2);
        }).find("not supported with parallel.sequence > 1") != std::string::npos);
  spec = make_spec(true, HeadOffset::mod, PositionKind::none);
  spec.dense_queries = true;
  CHECK(message_of([&] {
          check_sequence_split(spec, 64, 4);
        }).find("attention.dense_queries with parallel.sequence > 1 is not yet supported") !=
        std::string::npos);
  CHECK(message_of([&] { check_sequence_split(spec, 64, 1); }).empty());  // one rank: nothing is split
}
