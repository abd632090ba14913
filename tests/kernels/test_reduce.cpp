#include <doctest/doctest.h>

#include <limits>

#include "kernel_check.hpp"
#include "kernels/copy_rows.hpp"
#include "kernels/reduce.hpp"
#include "kernels/reference/reduce.hpp"

using namespace ln;

TEST_CASE("sum_all matches a double loop and is thread-count independent") {
  for (int64_t n : {0, 1, 17, 1000, 100003}) {
    CAPTURE(n);
    auto x = ln::test::random_vec(n, 111);
    double ref = reference::sum_all(x.data(), n);
    CHECK(sum_all(x.data(), n) == doctest::Approx(ref).epsilon(1e-12));
    double one = 0;
    ln::test::with_threads(1, [&] { one = sum_all(x.data(), n); });
    CHECK(one == sum_all(x.data(), n));
  }
}

TEST_CASE("sum_dim, expand_dim and copy_rows match the reference") {
  for (auto [o, d, i] :
       std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {3, 5, 7}, {1, 100, 1}, {200, 3, 33}}) {
    CAPTURE(o);
    CAPTURE(d);
    CAPTURE(i);
    auto x = ln::test::random_vec(o * d * i, 112);
    std::vector<float> y(o * i), ry(o * i);
    sum_dim(x.data(), o, d, i, y.data());
    reference::sum_dim(x.data(), o, d, i, ry.data());
    CHECK(ln::test::all_close(y, ry, 1e-5, 1e-6));
    std::vector<float> e(o * d * i), re(o * d * i);
    expand_dim(ry.data(), o, d, i, e.data());
    reference::expand_dim(ry.data(), o, d, i, re.data());
    CHECK(e == re);
    // copy the middle `d - 1` columns of each (d*i)-row block
    int64_t len = (d - 1) * i;
    std::vector<float> c(o * len + 1, 7.0f), rc(o * len + 1, 7.0f);
    copy_rows(x.data() + i, d * i, c.data(), len, o, len);
    reference::copy_rows(x.data() + i, d * i, rc.data(), len, o, len);
    CHECK(c == rc);
  }
}

TEST_CASE("row_argmax matches the reference: lowest index on ties, NaN never wins") {
  for (auto [n, v] : std::vector<std::array<int64_t, 2>>{{1, 1}, {3, 7}, {64, 4096}, {300, 33}}) {
    CAPTURE(n);
    CAPTURE(v);
    auto x = ln::test::random_vec(n * v, 113);
    std::vector<int32_t> got(static_cast<size_t>(n)), want(static_cast<size_t>(n));
    row_argmax(x.data(), n, v, got.data());
    reference::row_argmax(x.data(), n, v, want.data());
    CHECK(got == want);
  }
  // Hand-made rows: a tie between 1 and 3 (1 wins), a NaN first (2 wins), all equal (0 wins).
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> x = {0, 5, 1, 5, 2, nan, 1, 3, 2, 0, 4, 4, 4, 4, 4};
  std::vector<int32_t> got(3), want(3);
  row_argmax(x.data(), 3, 5, got.data());
  reference::row_argmax(x.data(), 3, 5, want.data());
  CHECK(got == std::vector<int32_t>{1, 2, 0});
  CHECK(want == got);
}
