#include <doctest/doctest.h>

#include "kernel_check.hpp"
#include "kernels/broadcast.hpp"
#include "kernels/reference/broadcast.hpp"

using namespace ln;

namespace {
// Strides of a contiguous tensor of `in` (already padded to out's rank with 1s), 0 on dims
// where in is 1 and out is not.
std::vector<int64_t> strides_of(const std::vector<int64_t>& in, const std::vector<int64_t>& out) {
  std::vector<int64_t> s(in.size());
  int64_t acc = 1;
  for (int i = static_cast<int>(in.size()) - 1; i >= 0; --i) {
    s[i] = in[i] == 1 && out[i] != 1 ? 0 : acc;
    acc *= in[i];
  }
  return s;
}
int64_t count(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}
struct BroadcastCase {
  std::vector<int64_t> out, a, b;  // a and b padded to out's rank
};
const BroadcastCase kBroadcastCases[] = {
    {{1}, {1}, {1}},
    {{7}, {7}, {7}},
    {{3, 5}, {3, 5}, {1, 5}},           // bias over rows
    {{3, 5}, {3, 1}, {1, 5}},           // outer product
    {{4, 3, 5}, {4, 3, 5}, {4, 1, 5}},  // middle dim broadcast
    {{2, 3, 4, 5}, {1, 3, 1, 5}, {2, 1, 4, 1}},
    {{300, 33}, {300, 33}, {1, 33}},  // reduction chunks for the gradient
    {{200, 3, 17}, {200, 3, 17}, {1, 3, 1}},
    {{5, 6}, {1, 1}, {5, 6}},  // scalar
};
}  // namespace

TEST_CASE("broadcast_binary matches the reference for add, sub, mul") {
  for (const BroadcastCase& c : kBroadcastCases) {
    CAPTURE(c.out.size());
    auto a = ln::test::random_vec(count(c.a), 101);
    auto b = ln::test::random_vec(count(c.b), 102);
    auto sa = strides_of(c.a, c.out), sb = strides_of(c.b, c.out);
    int rank = static_cast<int>(c.out.size());
    for (BinaryOp op : {BinaryOp::add, BinaryOp::sub, BinaryOp::mul}) {
      std::vector<float> y(count(c.out)), ry(count(c.out));
      broadcast_binary(op, a.data(), sa.data(), b.data(), sb.data(), c.out.data(), rank, y.data());
      reference::broadcast_binary(op, a.data(), sa.data(), b.data(), sb.data(), c.out.data(), rank,
                                  ry.data());
      CHECK(y == ry);
    }
  }
}

TEST_CASE("broadcast_reduce matches the reference and is thread-count independent") {
  for (const BroadcastCase& c : kBroadcastCases) {
    CAPTURE(c.out.size());
    auto g = ln::test::random_vec(count(c.out), 103);
    int rank = static_cast<int>(c.out.size());
    for (const auto* in : {&c.a, &c.b}) {
      auto s = strides_of(*in, c.out);
      std::vector<float> r(count(*in)), rr(count(*in)), r1(count(*in));
      broadcast_reduce(g.data(), c.out.data(), s.data(), rank, -0.5f, r.data(), count(*in));
      reference::broadcast_reduce(g.data(), c.out.data(), s.data(), rank, -0.5f, rr.data(), count(*in));
      CHECK(ln::test::all_close(r, rr, 1e-5, 1e-5));
      ln::test::with_threads(
          1, [&] { broadcast_reduce(g.data(), c.out.data(), s.data(), rank, -0.5f, r1.data(), count(*in)); });
      CHECK(r == r1);
    }
  }
}
