// MFU (train/mfu.hpp): the count it divides, the peak it divides by, and where a run reports it
// (the progress line, metrics.jsonl). No assertion depends on a measured speed.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/config.hpp"
#include "kernels/fma_peak.hpp"
#include "nn/model_flops.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_run.hpp"
#include "train/metrics_log.hpp"
#include "train/mfu.hpp"
#include "train/progress.hpp"
#include "train/trainer.hpp"

using namespace ln;

namespace {

ModelSpec tiny_spec() {
  ModelSpec spec;
  spec.vocab_size = 300;
  spec.d_model = 32;
  spec.layers = 2;
  spec.heads = 2;
  spec.mlp_ratio = 4;
  spec.attention.segments = {32};
  spec.attention.dilations = {1};
  return spec;
}

// LONGNET_PEAK_GFLOPS for one scope.
struct PeakEnv {
  explicit PeakEnv(const char* value) { ::setenv("LONGNET_PEAK_GFLOPS", value, 1); }
  ~PeakEnv() { ::unsetenv("LONGNET_PEAK_GFLOPS"); }
};

}  // namespace

TEST_CASE("MFU divides the `longnet flops` count by the peak of every process") {
  const ModelSpec spec = tiny_spec();
  const BatchPlan plan{32, 2, 3};  // T = 32, 2 sequences a micro-batch, 3 micro-batches
  const MfuMeter m = mfu_meter(spec, plan, Precision::fp32, 2, 4, 50.0);
  const StepFlops f = training_step_flops(spec, 6, 32);  // what `longnet flops` prints
  CHECK(m.model_flops_per_step() == f.train());
  CHECK(m.flops.tokens == 6 * 32);
  CHECK(m.peak.gflops == 50.0);
  CHECK(m.peak.source == "--peak-gflops");
  CHECK(m.peak_flops_per_s() == 4 * 50e9);  // 4 processes
  // A step of 0.5 s: 2 f.train() FLOP/s over 200 GFLOP/s.
  CHECK(m.of_step(0.5) == doctest::Approx(2 * f.train() / 200e9));
  // The same through tokens/s: 6 * 32 tokens in 0.5 s.
  CHECK(m.of_rate(6 * 32 / 0.5) == doctest::Approx(m.of_step(0.5)));
}

TEST_CASE("the progress line shows MFU from its speed") {
  ProgressStats s{120, 1000, 3.412, 8e-4, 12300, 252};
  s.mfu = 0.4123;
  CHECK(format_progress(s) ==
        "step 120/1000 | loss 3.412 | ppl 30.3 | lr 8.0e-04 | 12.3k tok/s | MFU 41.2% | ETA 4m12s");

  char* buf = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&buf, &size);
  {
    ProgressLine line(10, 1, out, 0);
    line.set_mfu(1e6, 1e10);  // 1 MFLOP a token over 10 GFLOP/s
    line.update_at(1.0, 1, 3.0, 1e-3, 2000);
    line.update_at(2.0, 2, 3.0, 1e-3, 2000);  // 2000 tokens/s: 2 GFLOP/s, 20%
    CHECK(line.last().mfu == doctest::Approx(0.2));
  }
  std::fclose(out);
  CHECK(std::string(buf, size).find("| MFU 20.0% |") != std::string::npos);
  std::free(buf);
}

TEST_CASE("metrics.jsonl: the run row names the peak, each train row carries mfu") {
  test::TempDir dir;
  Config c = test::tiny_run_config(dir, "given");
  c.train.steps = 2;
  c.train.eval_every = 0;
  validate_config(c);
  TrainOptions quiet;
  quiet.quiet = true;
  {
    PeakEnv env("123.5");
    REQUIRE(train(c, quiet).step == 2);
  }
  int train_rows = 0;
  for (const auto& r : read_metrics(c.train.out_dir + "/metrics.jsonl")) {
    const std::string kind = r.strings.at("kind");
    if (kind == "run") {
      CHECK(r.number("peak_gflops", 0) == 123.5);
      CHECK(r.strings.at("peak_source") == "LONGNET_PEAK_GFLOPS");
      CHECK(r.number("peak_processes", 0) == 1);
    }
    if (kind == "train") {
      ++train_rows;
      CHECK(r.number("mfu", 0) > 0);
      CHECK(r.number("peak_gflops", 0) == 123.5);
    }
  }
  CHECK(train_rows == 2);

  // Without it the probe measures, for the run's precision.
  Config b = test::tiny_run_config(dir, "measured");
  b.train.steps = 1;
  b.train.warmup_steps = 0;
  b.train.eval_every = 0;
  b.train.precision = Precision::bf16;
  validate_config(b);
  REQUIRE(train(b, quiet).step == 1);
  const auto rows = read_metrics(b.train.out_dir + "/metrics.jsonl");
  REQUIRE(!rows.empty());
  CHECK(rows.front().strings.at("peak_source") == "measured");
  CHECK(rows.front().strings.at("peak_isa") == peak_loop(Precision::bf16).isa);
  CHECK(rows.front().number("peak_gflops", 0) > 0);
}
