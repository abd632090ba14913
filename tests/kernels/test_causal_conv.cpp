#include <doctest/doctest.h>

#include <vector>

#include "kernel_check.hpp"
#include "kernels/causal_conv.hpp"
#include "kernels/reference/causal_conv.hpp"

using namespace ln;
using ln::test::all_close;
using ln::test::random_vec;

TEST_CASE("causal_conv by hand: one channel, taps 0.5 and -2, zeros before the start") {
  const CausalConvShape s{1, 1, 4, 1, 3};
  const std::vector<float> x = {1, 2, 3, 4}, taps = {0.5f, -2.0f};
  std::vector<float> y(4);
  causal_conv_forward(x.data(), taps.data(), s, y.data());
  // y[t] = x[t] + 0.5 x[t-1] - 2 x[t-2]
  CHECK(y == std::vector<float>{1, 2.5f, 2.0f, 1.5f});
  const std::vector<float> dy = {1, 0, 0, 1};
  std::vector<float> dx(4), dtaps(2);
  causal_conv_backward(x.data(), taps.data(), dy.data(), s, dx.data(), dtaps.data());
  // dx[t] = dy[t] + 0.5 dy[t+1] - 2 dy[t+2]; dtaps[k] = Σ_t dy[t] x[t-k]
  CHECK(dx == std::vector<float>{1, -2.0f, 0.5f, 1});
  CHECK(dtaps == std::vector<float>{3, 2});
}

TEST_CASE("causal_conv kernels match the plain-loop reference, at 1 and 2 threads") {
  for (CausalConvShape s : {CausalConvShape{2, 3, 17, 5, 4}, CausalConvShape{1, 4, 300, 16, 2},
                            CausalConvShape{3, 2, 2, 8, 5}, CausalConvShape{1, 8, 1000, 32, 8}}) {
    CAPTURE(s.B);
    CAPTURE(s.T);
    CAPTURE(s.K);
    const int64_t n = s.B * s.H * s.T * s.D, nt = (s.K - 1) * s.H * s.D;
    const auto x = random_vec(n, 1), taps = random_vec(nt, 2), dy = random_vec(n, 3);
    std::vector<float> y_ref(n), dx_ref(n), dt_ref(nt);
    reference::causal_conv_forward(x.data(), taps.data(), s, y_ref.data());
    reference::causal_conv_backward(x.data(), taps.data(), dy.data(), s, dx_ref.data(), dt_ref.data());
    for (int threads : {1, 2}) {
      ln::test::with_threads(threads, [&] {
        std::vector<float> y(n), dx(n), dt(nt), dt_only(nt);
        causal_conv_forward(x.data(), taps.data(), s, y.data());
        causal_conv_backward(x.data(), taps.data(), dy.data(), s, dx.data(), dt.data());
        causal_conv_backward(x.data(), taps.data(), dy.data(), s, nullptr, dt_only.data());
        CHECK(all_close(y, y_ref, 1e-5, 1e-5));
        CHECK(all_close(dx, dx_ref, 1e-5, 1e-5));
        CHECK(all_close(dt, dt_ref, 1e-4, 1e-5));
        CHECK(dt_only == dt);
      });
    }
  }
}
