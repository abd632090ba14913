// The peak probe (kernels/fma_peak.hpp) against its plain-loop twin: each path's FLOPs per call
// against a count by hand, and its accumulators' values against the scalar loop's, bit for bit.
// Nothing here is timed (a shared machine makes timed assertions flaky).
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "kernels/cpu_features.hpp"
#include "kernels/fma_peak.hpp"
#include "kernels/reference/fma_peak.hpp"

using namespace ln;

TEST_CASE("the probe's FLOPs per call are counted by hand") {
  for (Precision p : {Precision::fp32, Precision::bf16}) {
    for (const PeakLoop* loop : peak_loops_available(p)) {
      CAPTURE(loop->isa);
      const std::string isa = loop->isa;
      const int64_t iters = 1000;
      // By hand: rounds x accumulators x fp32 lanes x FLOPs per lane.
      int64_t by_hand = 0;
      if (isa == "avx512") by_hand = 1000 * 16 * 16 * 2;     // vfmadd: one multiply, one add
      if (isa == "vdpbf16ps") by_hand = 1000 * 16 * 16 * 4;  // two bf16 products and two adds a lane
      if (isa == "avx2") by_hand = 1000 * 12 * 8 * 2;
      REQUIRE(by_hand > 0);
      CHECK(peak_loop_flops(*loop, iters) == by_hand);
      CHECK(reference::peak_flops(iters, loop->accumulators, loop->lanes, isa == "vdpbf16ps") == by_hand);
    }
  }
}

TEST_CASE("every path of the probe computes its scalar loop's values exactly") {
  for (Precision p : {Precision::fp32, Precision::bf16}) {
    for (const PeakLoop* loop : peak_loops_available(p)) {
      CAPTURE(loop->isa);
      const bool dot = std::string(loop->op) == "dot";
      const size_t n = static_cast<size_t>(loop->accumulators) * loop->lanes;
      for (int64_t iters : {0, 1, 7, 1000}) {
        CAPTURE(iters);
        std::vector<float> fast(n, -1.0f), slow(n, -2.0f);
        if (dot) {
          // Products and sums exact in fp32: the instruction's intermediate rounding cannot differ.
          loop->run(iters, 0.5f, 0.375f, fast.data());
          reference::peak_bf16_dot(iters, loop->accumulators, loop->lanes, 0.5f, 0.375f, slow.data());
        } else {
          // Inexact on purpose: one rounding per FMA, as std::fma.
          loop->run(iters, 0.999f, 0.3f, fast.data());
          reference::peak_fma(iters, loop->accumulators, loop->lanes, 0.999f, 0.3f, slow.data());
        }
        int mismatches = 0;
        for (size_t i = 0; i < n; ++i) mismatches += fast[i] != slow[i];
        CHECK(mismatches == 0);
        CHECK(slow[n - 1] != slow[0]);  // the lanes start apart, so a lane mix-up shows
      }
    }
  }
}

TEST_CASE("the probe takes the widest path the CPU runs") {
  CHECK(std::string(peak_loop(Precision::fp32).isa) == (cpu_has_avx512() ? "avx512" : "avx2"));
  const std::string bf16_isa = peak_loop(Precision::bf16).isa;
  if (cpu_has_avx512_bf16())
    CHECK(bf16_isa == "vdpbf16ps");
  else
    CHECK(bf16_isa == peak_loop(Precision::fp32).isa);  // bf16 runs multiply on the FMA units
}

TEST_CASE("a given peak skips the measurement and says where it came from") {
  const PeakFlops given = host_peak(Precision::bf16, 2, 767, "--peak-gflops");
  CHECK(given.gflops == 767);
  CHECK(given.source == "--peak-gflops");
  CHECK(given.isa.empty());
  CHECK(describe_peak(given) == "bf16 peak 767 GFLOP/s at 2 threads (--peak-gflops)");

  ::setenv("LONGNET_PEAK_GFLOPS", "374.5", 1);
  const PeakFlops env = host_peak(Precision::fp32, 1);
  CHECK(env.gflops == 374.5);
  CHECK(env.source == "LONGNET_PEAK_GFLOPS");
  ::setenv("LONGNET_PEAK_GFLOPS", "fast", 1);
  CHECK_THROWS_WITH_AS(host_peak(Precision::fp32, 1), doctest::Contains("LONGNET_PEAK_GFLOPS is 'fast'"),
                       std::exception);
  ::unsetenv("LONGNET_PEAK_GFLOPS");
}
