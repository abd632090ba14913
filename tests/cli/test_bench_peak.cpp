// `longnet bench peak` (kernels/fma_peak.hpp). Short runs on a shared machine: the fields are
// checked, never a speed.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "train/metrics_log.hpp"

namespace {
std::vector<ln::MetricsRecord> bench_lines(const std::string& out) {
  std::vector<ln::MetricsRecord> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("{\"bench\"", 0) == 0)
      if (auto rec = ln::parse_metrics_line(line)) lines.push_back(*rec);
  return lines;
}
}  // namespace

TEST_CASE("bench peak prints one line per dtype and thread count, checked against the reference") {
  ln::test::TempDir dir;
  const ln::test::ExitStatus st = ln::test::run_longnet(
      {"bench", "peak", "--thread-counts", "1,2", "--seconds", "0.002", "--repeats", "1", "--check"},
      dir / "peak.log");
  const std::string out = ln::test::read_file(dir / "peak.log");
  CAPTURE(out);
  REQUIRE(st.code == 0);
  const auto lines = bench_lines(out);
  REQUIRE(lines.size() == 4);  // fp32 and bf16, at 1 and 2 threads
  for (size_t i = 0; i < lines.size(); ++i) {
    const ln::MetricsRecord& l = lines[i];
    CHECK(l.strings.at("bench") == "peak");
    CHECK(l.strings.at("dtype") == (i < 2 ? "fp32" : "bf16"));
    CHECK(l.number("threads", 0) == (i % 2 == 0 ? 1 : 2));
    CHECK(l.strings.at("check") == "ok");
    CHECK(l.number("gflops", 0) > 0);
    CHECK(l.number("gflops", 0) >= l.number("gflops_median", 0));
    const std::string isa = l.strings.at("isa");
    CHECK((isa == "avx512" || isa == "avx2" || isa == "vdpbf16ps"));
  }
  ln::test::ExitStatus bad = ln::test::run_longnet({"bench", "peak", "--dtype", "fp16"}, dir / "bad.log");
  CHECK(bad.code == 2);
  CHECK(ln::test::read_file(dir / "bad.log").find("--dtype 'fp16' is not one of fp32, bf16") !=
        std::string::npos);
}
