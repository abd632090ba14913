#include <doctest/doctest.h>

#include <string>

#include "core/error.hpp"
#include "train/batch_plan.hpp"

using namespace ln;

namespace {
std::string error_of(int64_t t, int64_t seqs, int64_t toks, int64_t micro) {
  try {
    plan_batch(t, seqs, toks, micro);
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}
}  // namespace

TEST_CASE("plan_batch in sequences and in tokens") {
  BatchPlan p = plan_batch(1024, 16, 0, 4);
  CHECK(p.micro_batch == 4);
  CHECK(p.accum_steps == 4);
  CHECK(p.sequences() == 16);
  CHECK(p.tokens() == 16384);
  p = plan_batch(8192, 0, 65536, 2);  // 8 sequences, 2 per pass
  CHECK(p.accum_steps == 4);
  CHECK(p.tokens() == 65536);
  p = plan_batch(256, 12, 0, 0);  // whole batch in one pass
  CHECK(p.micro_batch == 12);
  CHECK(p.accum_steps == 1);
}

TEST_CASE("plan_batch errors name the values and suggest valid ones") {
  CHECK(error_of(1000, 0, 2500, 1)
            .find("2500 tokens is not a whole number of 1000-token sequences; use 2000 or 3000") !=
        std::string::npos);
  CHECK(error_of(1000, 0, 500, 1).find("use 1000 tokens") != std::string::npos);
  CHECK(error_of(128, 10, 0, 4).find("use a batch of 8 or 12 sequences") != std::string::npos);
  CHECK(error_of(128, 2, 0, 4).find("use at most 2") != std::string::npos);
  CHECK(error_of(128, 2, 256, 1).find("exactly one") != std::string::npos);
  CHECK(error_of(128, 0, 0, 1).find("exactly one") != std::string::npos);
  CHECK(error_of(0, 2, 0, 1).find("sequence length is 0") != std::string::npos);
}
