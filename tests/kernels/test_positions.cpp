// RoPE rotation and XPOS decay tables against plain double loops.
#include <doctest/doctest.h>

#include <cmath>

#include "attention_test_util.hpp"
#include "kernels/attention/positions.hpp"
#include "kernels/reference/attention_reference.hpp"

using namespace ln;
using namespace ln::test;

TEST_CASE("rotate_pairs equals the reference at small and at million-scale global positions") {
  for (int64_t pos0 : {int64_t{0}, int64_t{3}, int64_t{1} << 20}) {
    const int64_t R = 3, T = 21, D = 18;
    auto x = random_floats(R * T * D, 1 + pos0);
    std::vector<float> y(x.size());
    rotate_pairs(x.data(), y.data(), R, T, D, pos0, 10000.f, false);
    auto ref = to_double(x);
    reference::rotate_pairs_reference(ref.data(), R, T, D, pos0, 10000.0, false);
    CHECK(worst_ratio(y, ref, 1e-6, 1e-6) <= 1.0);
    // The inverse undoes it (the vjp of an orthogonal map), in place.
    rotate_pairs(y.data(), y.data(), R, T, D, pos0, 10000.f, true);
    CHECK(worst_ratio(y, to_double(x), 1e-6, 1e-6) <= 1.0);
  }
}

TEST_CASE("rotate_pairs gives the same bits with its kept angle table and without it") {
  const int64_t R = 2, T = 130, D = 16, pos0 = 77;
  auto x = random_floats(R * T * D, 5);
  std::vector<float> kept(x.size()), again(x.size()), per_block(x.size()), back(x.size());
  rotate_pairs(x.data(), kept.data(), R, T, D, pos0, 10000.f, false);   // makes the table
  rotate_pairs(x.data(), again.data(), R, T, D, pos0, 10000.f, false);  // reuses it
  set_rotation_table_limit(0);
  rotate_pairs(x.data(), per_block.data(), R, T, D, pos0, 10000.f, false);
  rotate_pairs(per_block.data(), back.data(), R, T, D, pos0, 10000.f, true);
  set_rotation_table_limit(int64_t{16} << 20);
  CHECK(kept == again);
  CHECK(kept == per_block);
  auto ref = to_double(x);
  reference::rotate_pairs_reference(ref.data(), R, T, D, pos0, 10000.0, false);
  CHECK(worst_ratio(per_block, ref, 1e-6, 1e-6) <= 1.0);
  CHECK(worst_ratio(back, to_double(x), 1e-6, 1e-6) <= 1.0);
}

TEST_CASE("rotate_pairs: a hand-computed pair") {
  // pos 1, D = 2: angle = 1 rad for pair 0.
  std::vector<float> x = {1.f, 0.f}, y(2);
  rotate_pairs(x.data(), y.data(), 1, 1, 2, 1, 10000.f, false);
  CHECK(y[0] == doctest::Approx(std::cos(1.0)));
  CHECK(y[1] == doctest::Approx(std::sin(1.0)));
}

TEST_CASE("XPOS decay tables: query and key factors multiply to zeta^((n - m) / scale_base)") {
  const int64_t n = 1000, D = 8, dp = 16;
  std::vector<float> qt(n * dp), kt(n * dp);
  xpos_decay_table(qt.data(), n, D, dp, 500.0, 0.4, 512.0, false);
  xpos_decay_table(kt.data(), n, D, dp, 500.0, 0.4, 512.0, true);
  for (int64_t a : {0, 17, 999})
    for (int64_t b : {0, 400, 999})
      for (int64_t t = 0; t < D; ++t) {
        const double want = std::pow(xpos_zeta(t / 2, D, 0.4), (a - b) / 512.0);
        CHECK(static_cast<double>(qt[a * dp + t]) * kt[b * dp + t] == doctest::Approx(want).epsilon(1e-5));
      }
  CHECK(qt[5 * dp + D] == 0.f);  // padding columns stay zero
  CHECK(xpos_zeta(0, 64, 0.4) == doctest::Approx(0.4 / 1.4));
}
