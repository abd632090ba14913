#include <doctest/doctest.h>

#include <cstdint>

#include "core/error.hpp"
#include "core/tensor.hpp"

using namespace ln;

TEST_CASE("tensor storage is 64-byte aligned and row-major") {
  for (int64_t n : {1, 3, 17, 1000}) {
    Tensor t = Tensor::zeros({n, 3});
    CHECK(reinterpret_cast<uintptr_t>(t.data()) % 64 == 0);
    CHECK(t.numel() == n * 3);
    CHECK(t.dim(-1) == 3);
  }
  Tensor t = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(t.data()[1 * 3 + 2] == 6.0f);
}

TEST_CASE("reshape shares storage, clone does not") {
  Tensor t = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor r = t.reshape({3, -1});
  CHECK(r.shape() == Shape{3, 2});
  r.data()[0] = 42;
  CHECK(t.data()[0] == 42);
  Tensor c = t.clone();
  c.data()[0] = 7;
  CHECK(t.data()[0] == 42);
  CHECK_THROWS_AS(t.reshape({4, 2}), Error);
  CHECK_THROWS_AS(t.reshape({-1, -1}), Error);
}

TEST_CASE("bf16 round-trips and rounds to nearest even") {
  CHECK(static_cast<float>(bf16(1.0f)) == 1.0f);
  CHECK(static_cast<float>(bf16(-2.5f)) == -2.5f);
  // 1 + 2^-8 lies exactly between two bf16 values (1 and 1 + 2^-7): ties go to even (1).
  CHECK(static_cast<float>(bf16(1.0f + 1.0f / 256)) == 1.0f);
  // 1 + 3*2^-8 lies between 1+2^-7 and 1+2^-6... rounds to even mantissa 1+2^-6.
  CHECK(static_cast<float>(bf16(1.0f + 3.0f / 256)) == 1.0f + 1.0f / 64);
  Tensor t = Tensor::from({0.5f, 3.0f, -7.25f}, {3});
  Tensor back = t.to(Precision::bf16).to(Precision::fp32);
  CHECK(back.to_vector() == t.to_vector());
  CHECK_THROWS_AS(t.to(Precision::bf16).data(), Error);
}

TEST_CASE("errors carry a message and a relative source location") {
  try {
    LN_CHECK(1 == 2, "[test] one is not ", 2, "; fix the universe");
    FAIL("LN_CHECK did not throw");
  } catch (const Error& e) {
    CHECK(e.message() == "[test] one is not 2; fix the universe");
    std::string what = e.what();
    CHECK(what.find("(at tests/core/test_tensor.cpp:") != std::string::npos);
  }
}
