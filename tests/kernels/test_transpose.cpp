#include <doctest/doctest.h>

#include "kernel_check.hpp"
#include "kernels/reference/transpose.hpp"
#include "kernels/transpose.hpp"

using namespace ln;

TEST_CASE("transpose_copy matches the five-loop reference") {
  // (a, m, b, n, k): last-two-dims swaps (k = 1), (B,T,H,D)<->(B,H,T,D) (b = 1), a middle
  // dim between the swapped ones, and sizes around the 16-tile edge.
  for (auto [a, m, b, n, k] : std::vector<std::array<int64_t, 5>>{{1, 1, 1, 1, 1},
                                                                  {1, 3, 1, 5, 1},
                                                                  {2, 17, 1, 33, 1},
                                                                  {3, 31, 1, 4, 16},
                                                                  {2, 7, 3, 5, 2},
                                                                  {1, 40, 2, 19, 7},
                                                                  {2, 300, 1, 6, 64},
                                                                  {1, 12, 1, 700, 8}}) {
    CAPTURE(a);
    CAPTURE(m);
    CAPTURE(b);
    CAPTURE(n);
    CAPTURE(k);
    int64_t total = a * m * b * n * k;
    auto x = ln::test::random_vec(total, 91);
    std::vector<float> y(total), ry(total);
    transpose_copy(x.data(), a, m, b, n, k, y.data());
    reference::transpose_copy(x.data(), a, m, b, n, k, ry.data());
    CHECK(y == ry);
  }
}
