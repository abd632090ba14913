// `longnet bench attention --precision`: bf16 mode reaches the kernel and every JSON line says
// which precision ran; a bad --precision is a one-line user error with exit status 2.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/process.hpp"

namespace {

bool has(const std::string& line, const std::string& key) { return line.find(key) != std::string::npos; }

}  // namespace

TEST_CASE("bench attention --precision bf16 runs bf16 mode, checks it and says so in every line") {
  const std::string base =
      "bench attention --threads 1 --seq 256 --kind dilated --segments 64,128 --dilations 1,2 --heads 2 "
      "--head-dim 16 --pass fwd --repeats 1 --check --matmul-reference 64 --precision ";
  ln::test::CapturedRun r = ln::test::run_longnet_captured(base + "bf16");
  if (r.status == 2 && !r.lines.empty() && has(r.lines.back(), "needs oneDNN's bf16 matmul")) {
    MESSAGE("no oneDNN bf16 matmul on this CPU: the matmul reference is refused, as documented");
    return;
  }
  REQUIRE(r.status == 0);
  REQUIRE(r.lines.size() == 3);
  CHECK(has(r.lines[0], "\"kind\": \"matmul_reference\""));
  CHECK(has(r.lines[0], "\"precision\": \"bf16\""));
  CHECK(has(r.lines[1], "\"check\": \"pass\""));
  CHECK(has(r.lines[1], "\"precision\": \"bf16\""));
  CHECK(has(r.lines[2], "\"precision\": \"bf16\""));
  CHECK((has(r.lines[2], "\"bf16_dot\": \"vdpbf16ps\"") || has(r.lines[2], "\"bf16_dot\": \"fma\"")));
  // The check's error shows bf16 rounding (fp32 mode stays near 1e-6): the mode really ran.
  const auto at = r.lines[1].find("\"max_rel_error\": ");
  REQUIRE(at != std::string::npos);
  CHECK(std::stod(r.lines[1].substr(at + 17)) > 1e-4);

  ln::test::CapturedRun f = ln::test::run_longnet_captured(base + "fp32");
  REQUIRE(f.status == 0);
  REQUIRE(f.lines.size() == 3);
  CHECK(has(f.lines[2], "\"precision\": \"fp32\""));
  const auto fat = f.lines[1].find("\"max_rel_error\": ");
  REQUIRE(fat != std::string::npos);
  CHECK(std::stod(f.lines[1].substr(fat + 17)) < 1e-4);
}

TEST_CASE("bench attention rejects an unknown --precision with one line and status 2") {
  ln::test::CapturedRun r = ln::test::run_longnet_captured("bench attention --seq 64 --precision fp16");
  CHECK(r.status == 2);
  REQUIRE(r.lines.size() == 1);
  CHECK(has(r.lines[0], "--precision is 'fp16'"));
}
