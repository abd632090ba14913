// `longnet bench matmul` end to end: one JSON line per (shape, dtype) with the documented
// keys, and a malformed --shapes is a one-line user error with exit status 2.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/process.hpp"

namespace {}  // namespace

TEST_CASE("bench matmul prints one JSON object per shape and dtype") {
  ln::test::CapturedRun r = ln::test::run_longnet_captured(
      "bench matmul --threads 1 --shapes 8x16x4,33x7x5 --dtype f32 --repeats 2");
  REQUIRE(r.status == 0);
  REQUIRE(r.lines.size() == 2);
  for (const char* key : {"\"m\"", "\"k\"", "\"n\"", "\"dtype\"", "\"threads\": 1", "\"gflops\"", "\"ms\"",
                          "\"omp_wait_policy\""}) {
    CHECK(r.lines[0].find(key) != std::string::npos);
  }
  CHECK(r.lines[0].rfind("{", 0) == 0);
  CHECK(r.lines[0].find("\"m\": 8, \"k\": 16, \"n\": 4") != std::string::npos);
  CHECK(r.lines[1].find("\"m\": 33, \"k\": 7, \"n\": 5") != std::string::npos);
}

TEST_CASE("bench matmul rejects a malformed shape with one line and status 2") {
  ln::test::CapturedRun r = ln::test::run_longnet_captured("bench matmul --shapes 8x16");
  CHECK(r.status == 2);
  REQUIRE(r.lines.size() == 1);
  CHECK(r.lines[0].find("--shapes entry '8x16'") != std::string::npos);
}
