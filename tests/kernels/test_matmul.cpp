// Holds the oneDNN matmul kernel to its plain-loop twin at awkward shapes (1, odd sizes,
// non-multiples of 16, batch > 1), every transpose combination, bias, accumulate, broadcast
// and gapped batch strides; checks the twin itself against hand-computed products; and
// checks that the primitive cache is hit by a repeated shape.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/error.hpp"
#include "kernels/matmul_dnnl.hpp"
#include "kernels/reference/matmul.hpp"

namespace {

using ln::MatmulShape;

std::vector<float> random_values(int64_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = dist(rng);
  return v;
}

// Elements an operand spans given its batch stride (-1 packed, 0 broadcast).
int64_t span(int64_t batch, int64_t stride, int64_t matrix) {
  if (stride == -1) stride = matrix;
  return batch <= 1 || stride == 0 ? matrix : (batch - 1) * stride + matrix;
}

// Runs fast and reference kernels on the same random inputs and compares every element.
// Inputs are in [-1, 1]: the fp32-vs-double accumulation error grows like K * 2^-24.
template <typename T>
void compare(const MatmulShape& s, bool with_bias, bool accumulate, uint64_t seed = 7) {
  int64_t na = span(s.batch, s.batch_stride_a, s.m * s.k);
  int64_t nb = span(s.batch, s.batch_stride_b, s.k * s.n);
  int64_t nc = s.batch * s.m * s.n;
  std::vector<float> af = random_values(na, seed), bf = random_values(nb, seed + 1);
  std::vector<T> a, b;  // bf16 inputs are rounded once; both kernels read the same values
  for (float x : af) a.push_back(T(x));
  for (float x : bf) b.push_back(T(x));
  std::vector<float> bias = random_values(s.n, seed + 2);
  std::vector<float> c0 = random_values(nc, seed + 3);  // existing contents (for accumulate)
  std::vector<float> fast = c0, ref = c0;
  const float* bias_ptr = with_bias ? bias.data() : nullptr;
  ln::matmul_dnnl(s, a.data(), b.data(), bias_ptr, fast.data(), accumulate);
  ln::reference::matmul(s, a.data(), b.data(), bias_ptr, ref.data(), accumulate);
  double tol = 1e-5 * (s.k + 4);
  int bad = 0;
  for (int64_t i = 0; i < nc; ++i) {
    if (std::abs(fast[i] - ref[i]) > tol) {
      if (bad++ < 3) {
        INFO("element ", i, ": oneDNN ", fast[i], " vs reference ", ref[i]);
        CHECK(std::abs(fast[i] - ref[i]) <= tol);
      }
    }
  }
  INFO("batch ", s.batch, " M ", s.m, " K ", s.k, " N ", s.n, " trans_a ", s.trans_a, " trans_b ", s.trans_b,
       " strides ", s.batch_stride_a, "/", s.batch_stride_b, " bias ", with_bias, " accumulate ", accumulate);
  CHECK(bad == 0);
}

struct Dims {
  int64_t batch, m, k, n;
};
const Dims kShapes[] = {{1, 1, 1, 1},  {1, 1, 7, 1},    {1, 17, 33, 5},  {3, 7, 19, 23},
                        {4, 1, 37, 3}, {1, 65, 3, 129}, {2, 16, 16, 16}, {5, 31, 17, 1}};

}  // namespace

TEST_CASE("reference matmul matches hand-computed products") {
  // A = [[1, 2, 3], [4, 5, 6]] (2x3), B = [[1, 0], [0, 1], [1, 1]] (3x2): A·B = [[4, 5], [10, 11]].
  std::vector<float> a{1, 2, 3, 4, 5, 6}, b{1, 0, 0, 1, 1, 1}, c(4, 100.0f);
  ln::reference::matmul({1, 2, 3, 2}, a.data(), b.data(), nullptr, c.data());
  CHECK(c == std::vector<float>{4, 5, 10, 11});
  // Aᵀ stored (3x2) = [[1, 4], [2, 5], [3, 6]]; Bᵀ stored (2x3) = [[1, 0, 1], [0, 1, 1]].
  std::vector<float> at{1, 4, 2, 5, 3, 6}, bt{1, 0, 1, 0, 1, 1}, bias{0.5f, -1.0f};
  MatmulShape s{1, 2, 3, 2, true, true};
  ln::reference::matmul(s, at.data(), bt.data(), bias.data(), c.data(), /*accumulate=*/true);
  CHECK(c == std::vector<float>{8.5f, 9, 20.5f, 21});
}

TEST_CASE("oneDNN matmul matches the reference: shapes x transposes x bias x accumulate") {
  for (const Dims& d : kShapes) {
    for (int t = 0; t < 4; ++t) {
      for (int flags = 0; flags < 4; ++flags) {
        MatmulShape s{d.batch, d.m, d.k, d.n, (t & 1) != 0, (t & 2) != 0};
        compare<float>(s, (flags & 1) != 0, (flags & 2) != 0);
      }
    }
  }
}

TEST_CASE("oneDNN matmul: broadcast and gapped batch strides") {
  for (int t = 0; t < 4; ++t) {
    bool ta = (t & 1) != 0, tb = (t & 2) != 0;
    // 2-D weight broadcast over the batch (folded into one GEMM when A is plain).
    compare<float>({3, 5, 9, 7, ta, tb, -1, 0}, true, false);
    compare<float>({3, 5, 9, 7, ta, tb, -1, 0}, false, true);
    // Broadcast A against a batched B.
    compare<float>({4, 6, 11, 3, ta, tb, 0, -1}, true, true);
    // Both broadcast: every output item is the same product.
    compare<float>({3, 2, 5, 4, ta, tb, 0, 0}, true, true);
    // Gaps between batch items (as when operating on one slice of a larger buffer).
    compare<float>({3, 5, 9, 7, ta, tb, 5 * 9 + 3, 9 * 7 + 10}, false, false);
    compare<float>({2, 4, 6, 8, ta, tb, 4 * 6 + 1, 0}, true, true);
  }
}

TEST_CASE("oneDNN matmul: empty sizes") {
  // K = 0: the product is empty, so C = bias (or C += bias).
  std::vector<float> a(1), b(1), bias{1.0f, 2.0f, 3.0f}, c(6, 5.0f);
  ln::matmul_dnnl({2, 1, 0, 3}, a.data(), b.data(), bias.data(), c.data(), false);
  CHECK(c == std::vector<float>{1, 2, 3, 1, 2, 3});
  ln::matmul_dnnl({2, 1, 0, 3}, a.data(), b.data(), bias.data(), c.data(), true);
  CHECK(c == std::vector<float>{2, 4, 6, 2, 4, 6});
  ln::matmul_dnnl({1, 1, 0, 3}, a.data(), b.data(), nullptr, c.data(), false);
  CHECK(c == std::vector<float>{0, 0, 0, 2, 4, 6});
  // M = 0 or batch = 0: nothing is written.
  ln::matmul_dnnl({1, 0, 4, 3}, a.data(), b.data(), nullptr, c.data(), false);
  ln::matmul_dnnl({0, 2, 4, 3}, a.data(), b.data(), nullptr, c.data(), false);
  CHECK(c == std::vector<float>{0, 0, 0, 2, 4, 6});
}

TEST_CASE("oneDNN matmul rejects a batch stride smaller than one matrix") {
  std::vector<float> a(64), b(64), c(64);
  CHECK_THROWS_AS(ln::matmul_dnnl({2, 3, 3, 3, false, false, 5, -1}, a.data(), b.data(), nullptr, c.data()),
                  ln::Error);
  CHECK_THROWS_AS(ln::matmul_dnnl({1, -1, 3, 3}, a.data(), b.data(), nullptr, c.data()), ln::Error);
}

TEST_CASE("oneDNN matmul: bf16 inputs, f32 output") {
  if (!ln::matmul_bf16_supported()) {
    MESSAGE("bf16 matmul not supported on this CPU; the bf16 cases are skipped");
    std::vector<ln::bf16> a(4), b(4);
    std::vector<float> c(4);
    CHECK_THROWS_AS(ln::matmul_dnnl({1, 2, 2, 2}, a.data(), b.data(), nullptr, c.data()), ln::Error);
    return;
  }
  for (const Dims& d : kShapes) {
    for (int t = 0; t < 4; ++t) {
      MatmulShape s{d.batch, d.m, d.k, d.n, (t & 1) != 0, (t & 2) != 0};
      compare<ln::bf16>(s, t == 1, t == 2);
    }
  }
  compare<ln::bf16>({3, 5, 9, 7, false, true, -1, 0}, true, true);
}

TEST_CASE("oneDNN matmul: the primitive cache is hit by a repeated shape") {
  ln::matmul_cache_clear();
  MatmulShape s{2, 13, 29, 11, false, true};
  std::vector<float> a(2 * 13 * 29, 1.0f), b(2 * 29 * 11, 1.0f), c(2 * 13 * 11);
  ln::MatmulCacheStats before = ln::matmul_cache_stats();
  CHECK(before.entries == 0);
  ln::matmul_dnnl(s, a.data(), b.data(), nullptr, c.data());
  ln::MatmulCacheStats first = ln::matmul_cache_stats();
  CHECK(first.misses == before.misses + 1);
  CHECK(first.hits == before.hits);
  CHECK(first.entries == 1);
  ln::matmul_dnnl(s, a.data(), b.data(), nullptr, c.data());
  ln::MatmulCacheStats second = ln::matmul_cache_stats();
  CHECK(second.misses == first.misses);
  CHECK(second.hits == first.hits + 1);
  CHECK(c[0] == 29.0f);
  // Accumulate is part of the key: a new primitive, then a hit again.
  ln::matmul_dnnl(s, a.data(), b.data(), nullptr, c.data(), true);
  ln::matmul_dnnl(s, a.data(), b.data(), nullptr, c.data(), true);
  ln::MatmulCacheStats third = ln::matmul_cache_stats();
  CHECK(third.misses == second.misses + 1);
  CHECK(third.hits == second.hits + 1);
  CHECK(third.entries == 2);
  CHECK(c[0] == 3 * 29.0f);
}

TEST_CASE("oneDNN diagnostics name the version, runtime and ISA") {
  CHECK(ln::dnnl_version_string().find("cpu_runtime=") != std::string::npos);
  CHECK(!ln::dnnl_isa_name().empty());
  CHECK(!ln::matmul_dnnl_impl({1, 8, 8, 8}, false).empty());
}
