#include <doctest/doctest.h>

#include "kernel_check.hpp"
#include "kernels/dropout.hpp"
#include "kernels/reference/dropout.hpp"

using namespace ln;

TEST_CASE("dropout kernel equals its per-element reference at awkward lengths") {
  for (int64_t n : {1, 13, 4095, 4097, 50001}) {
    CAPTURE(n);
    auto x = ln::test::random_vec(n, 81);
    std::vector<float> y(n), ry(n);
    dropout_apply(x.data(), n, 0.3f, 99, y.data());
    reference::dropout_apply(x.data(), n, 0.3f, 99, ry.data());
    CHECK(ln::test::all_close(y, ry, 0.0, 1e-6));
    for (int64_t i = 0; i < n; ++i) {
      if ((y[i] == 0.0f) != (ry[i] == 0.0f)) {
        FAIL_CHECK("masks differ at ", i);
        break;
      }
    }
  }
}
