#include <doctest/doctest.h>

#include "kernel_check.hpp"
#include "kernels/layernorm.hpp"
#include "kernels/reference/layernorm.hpp"

using namespace ln;
using ln::test::all_close;
using ln::test::random_vec;

namespace {
struct LayerNormCase {
  int64_t n, c;
};
// Awkward shapes: 1, odd, non-multiples of 16, and one large enough to go parallel and to
// use several reduction chunks.
const LayerNormCase kLayerNormCases[] = {{1, 1}, {1, 5}, {3, 7}, {5, 17}, {64, 33}, {130, 48}, {300, 129}};
}  // namespace

TEST_CASE("layernorm forward and backward match the reference") {
  for (auto [n, c] : kLayerNormCases) {
    CAPTURE(n);
    CAPTURE(c);
    auto x = random_vec(n * c, 1, -2.0f, 3.0f);  // offset mean: exercises the centring
    auto w = random_vec(c, 2, 0.5f, 1.5f);
    auto b = random_vec(c, 3);
    auto dy = random_vec(n * c, 4);
    for (bool with_bias : {true, false}) {
      std::vector<float> y(n * c), mean(n), rstd(n), ry(n * c), rmean(n), rrstd(n);
      layernorm_forward(x.data(), w.data(), with_bias ? b.data() : nullptr, n, c, 1e-5f, y.data(),
                        mean.data(), rstd.data());
      reference::layernorm_forward(x.data(), w.data(), with_bias ? b.data() : nullptr, n, c, 1e-5f, ry.data(),
                                   rmean.data(), rrstd.data());
      CHECK(all_close(y, ry, 1e-5, 1e-5));
      CHECK(all_close(mean, rmean, 1e-6, 1e-6));
      CHECK(all_close(rstd, rrstd, 1e-6, 1e-5));
    }
    std::vector<float> mean(n), rstd(n), y(n * c);
    reference::layernorm_forward(x.data(), w.data(), b.data(), n, c, 1e-5f, y.data(), mean.data(),
                                 rstd.data());
    std::vector<float> dx(n * c), dw(c), db(c), rdx(n * c), rdw(c), rdb(c);
    layernorm_backward(dy.data(), x.data(), w.data(), mean.data(), rstd.data(), n, c, dx.data(), dw.data(),
                       db.data());
    reference::layernorm_backward(dy.data(), x.data(), w.data(), mean.data(), rstd.data(), n, c, rdx.data(),
                                  rdw.data(), rdb.data());
    CHECK(all_close(dx, rdx, 1e-5, 1e-4));
    CHECK(all_close(dw, rdw, 1e-4, 1e-5));
    CHECK(all_close(db, rdb, 1e-4, 1e-5));
  }
}

TEST_CASE("rmsnorm forward and backward match the reference") {
  for (auto [n, c] : kLayerNormCases) {
    CAPTURE(n);
    CAPTURE(c);
    auto x = random_vec(n * c, 11, -2.0f, 2.0f);
    auto w = random_vec(c, 12, 0.5f, 1.5f);
    auto dy = random_vec(n * c, 13);
    std::vector<float> y(n * c), rstd(n), ry(n * c), rrstd(n);
    rmsnorm_forward(x.data(), w.data(), n, c, 1e-6f, y.data(), rstd.data());
    reference::rmsnorm_forward(x.data(), w.data(), n, c, 1e-6f, ry.data(), rrstd.data());
    CHECK(all_close(y, ry, 1e-5, 1e-5));
    CHECK(all_close(rstd, rrstd, 1e-6, 1e-5));
    std::vector<float> dx(n * c), dw(c), rdx(n * c), rdw(c);
    rmsnorm_backward(dy.data(), x.data(), w.data(), rrstd.data(), n, c, dx.data(), dw.data());
    reference::rmsnorm_backward(dy.data(), x.data(), w.data(), rrstd.data(), n, c, rdx.data(), rdw.data());
    CHECK(all_close(dx, rdx, 1e-5, 1e-4));
    CHECK(all_close(dw, rdw, 1e-4, 1e-5));
  }
}

TEST_CASE("layernorm backward is bitwise identical with 1 and 2 threads") {
  const int64_t n = 2000, c = 40;  // parallel rows and 31 reduction chunks
  auto x = random_vec(n * c, 21);
  auto w = random_vec(c, 22);
  auto dy = random_vec(n * c, 23);
  std::vector<float> y(n * c), mean(n), rstd(n);
  layernorm_forward(x.data(), w.data(), nullptr, n, c, 1e-5f, y.data(), mean.data(), rstd.data());
  std::vector<float> dx1(n * c), dw1(c), db1(c), dx2(n * c), dw2(c), db2(c);
  ln::test::with_threads(1, [&] {
    layernorm_backward(dy.data(), x.data(), w.data(), mean.data(), rstd.data(), n, c, dx1.data(), dw1.data(),
                       db1.data());
  });
  ln::test::with_threads(2, [&] {
    layernorm_backward(dy.data(), x.data(), w.data(), mean.data(), rstd.data(), n, c, dx2.data(), dw2.data(),
                       db2.data());
  });
  CHECK(dx1 == dx2);
  CHECK(dw1 == dw2);
  CHECK(db1 == db2);
}
