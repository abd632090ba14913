#include <doctest/doctest.h>

#include "core/error.hpp"
#include "kernel_check.hpp"
#include "kernels/embedding.hpp"
#include "kernels/reference/embedding.hpp"

using namespace ln;

namespace {
std::vector<int32_t> ids_for(int64_t n, int64_t v, uint64_t seed) {
  std::vector<int32_t> ids(n);
  uint64_t s = seed;
  for (auto& id : ids) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    id = static_cast<int32_t>((s >> 33) % static_cast<uint64_t>(v));
  }
  return ids;
}
}  // namespace

TEST_CASE("embedding gather and scatter-add match the reference (repeated ids)") {
  for (auto [n, v, c] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 1, 1}, {5, 3, 7}, {17, 50, 33}, {2000, 37, 48}, {4000, 5000, 3}}) {
    CAPTURE(n);
    CAPTURE(v);
    CAPTURE(c);
    auto w = ln::test::random_vec(v * c, 61);
    auto ids = ids_for(n, v, 62);
    std::vector<float> out(n * c), rout(n * c);
    embedding_forward(w.data(), ids.data(), n, v, c, out.data());
    reference::embedding_forward(w.data(), ids.data(), n, v, c, rout.data());
    CHECK(out == rout);
    auto dout = ln::test::random_vec(n * c, 63);
    std::vector<float> dw(v * c, 123.0f), rdw(v * c);  // dw starts dirty: must be overwritten
    embedding_backward(dout.data(), ids.data(), n, v, c, dw.data());
    reference::embedding_backward(dout.data(), ids.data(), n, v, c, rdw.data());
    // Both sum each vocab row's occurrences in increasing position: identical bits.
    CHECK(dw == rdw);
  }
}

TEST_CASE("embedding backward is identical with 1 and 2 threads; bad ids are refused") {
  const int64_t n = 5000, v = 11, c = 64;
  auto ids = ids_for(n, v, 71);
  auto dout = ln::test::random_vec(n * c, 72);
  std::vector<float> a(v * c), b(v * c);
  ln::test::with_threads(1, [&] { embedding_backward(dout.data(), ids.data(), n, v, c, a.data()); });
  ln::test::with_threads(2, [&] { embedding_backward(dout.data(), ids.data(), n, v, c, b.data()); });
  CHECK(a == b);
  std::vector<float> w(v * c), out(2 * c);
  std::vector<int32_t> bad = {0, 11};
  CHECK_THROWS_AS(embedding_forward(w.data(), bad.data(), 2, v, c, out.data()), ln::Error);
  bad = {-1, 0};
  CHECK_THROWS_AS(embedding_forward(w.data(), bad.data(), 2, v, c, out.data()), ln::Error);
}
