// `longnet bench peak` (kernels/fma_peak.hpp) and the MFU fields of `bench train`
// (train/mfu.hpp). Short runs on a shared machine: the fields and the arithmetic are checked,
// never a speed.
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

TEST_CASE("bench train reports MFU against the peak it was given") {
  ln::test::TempDir dir;
  std::vector<std::string> args = {"bench",    "train", "--threads",     "1",  "--steps", "1",
                                   "--warmup", "0",     "--peak-gflops", "250"};
  for (const char* set : {"model.d_model=16", "model.layers=1", "model.heads=2", "data.seq_len=32",
                          "attention.segments=[8,16,32]", "train.batch_size=2"})
    args.insert(args.end(), {"--set", set});
  REQUIRE(ln::test::run_longnet(args, dir / "train.log").code == 0);
  const auto lines = bench_lines(ln::test::read_file(dir / "train.log"));
  REQUIRE(lines.size() == 1);
  const ln::MetricsRecord& l = lines[0];
  CHECK(l.strings.at("peak_source") == "--peak-gflops");
  CHECK(l.number("peak_gflops", 0) == 250);
  const double flops = l.number("model_flops_per_step", 0), step_s = l.number("step_ms", 0) / 1e3;
  CHECK(flops > 0);
  CHECK(l.number("mfu", 0) == doctest::Approx(flops / step_s / 250e9).epsilon(1e-6));
}
