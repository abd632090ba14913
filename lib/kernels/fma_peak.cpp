// The peak probe (fma_peak.hpp): the AVX2 baseline loop, the choice of path, the timed runs
// on N threads, and the per-process peak MFU divides by.
#include "kernels/fma_peak.hpp"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "core/error.hpp"
#include "kernels/cpu_features.hpp"
#include "kernels/fma_peak_internal.hpp"

namespace ln {

namespace {

// The baseline every supported x86-64 runs (the build's -mavx2 -mfma): 12 accumulators of the
// 16 ymm registers, two for the constants (FMA latency x pipes is 8 to 10 on AVX2 CPUs).
constexpr int kAvx2Acc = 12;

void fma_avx2(int64_t iters, float a, float b, float* out) {
  __m256 acc[kAvx2Acc];
  const __m256 iota = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
#pragma GCC unroll 12
  for (int j = 0; j < kAvx2Acc; ++j) acc[j] = _mm256_add_ps(_mm256_set1_ps(static_cast<float>(j * 8)), iota);
  const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < kAvx2Acc; ++j) acc[j] = _mm256_fmadd_ps(acc[j], va, vb);
  }
  for (int j = 0; j < kAvx2Acc; ++j) _mm256_storeu_ps(out + 8 * j, acc[j]);
}

const PeakLoop kFmaAvx512{"avx512", "fma", 16, 16, 2, peak::fma_avx512};
const PeakLoop kDotAvx512Bf16{"vdpbf16ps", "dot", 16, 16, 4, peak::dot_avx512bf16};
const PeakLoop kFmaAvx2{"avx2", "fma", 8, kAvx2Acc, 2, fma_avx2};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Wall seconds for `threads` threads to run `iters` rounds each, started together.
double timed_run(const PeakLoop& loop, int threads, int64_t iters) {
  // Constants that keep every value normal (no denormal slow paths): the FMA chain converges
  // to 1, the dot chain grows by 2^-19 a round until it no longer changes.
  const bool dot = std::string(loop.op) == "dot";
  const float a = dot ? 0x1p-10f : 0.999999f, b = dot ? 0x1p-10f : 1e-6f;
  std::vector<float> sink(static_cast<size_t>(threads) * loop.accumulators * loop.lanes);
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      loop.run(iters, a, b, sink.data() + static_cast<size_t>(t) * loop.accumulators * loop.lanes);
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  const auto t0 = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  for (std::thread& th : pool) th.join();
  return seconds_since(t0);
}

}  // namespace

int64_t peak_loop_flops(const PeakLoop& loop, int64_t iters) {
  return iters * loop.accumulators * loop.lanes * loop.flops_per_lane;
}

std::vector<const PeakLoop*> peak_loops_available(Precision precision) {
  std::vector<const PeakLoop*> loops;
  if (precision == Precision::bf16 && cpu_has_avx512_bf16()) loops.push_back(&kDotAvx512Bf16);
  if (precision == Precision::fp32 && cpu_has_avx512()) loops.push_back(&kFmaAvx512);
  if (precision == Precision::fp32) loops.push_back(&kFmaAvx2);
  // bf16 without a dot product instruction multiplies on the fp32 FMA units.
  if (loops.empty()) return peak_loops_available(Precision::fp32);
  return loops;
}

const PeakLoop& peak_loop(Precision precision) { return *peak_loops_available(precision).front(); }

PeakMeasurement measure_peak(Precision precision, int threads, double seconds_per_repeat, int repeats) {
  LN_CHECK(threads >= 1, "[peak] threads is ", threads, "; give 1 or more");
  LN_CHECK(repeats >= 1 && seconds_per_repeat > 0, "[peak] need repeats >= 1 and seconds > 0");
  const PeakLoop& loop = peak_loop(precision);
  const auto start = std::chrono::steady_clock::now();
  // Calibrate on one thread: rounds that take about seconds_per_repeat (a shared machine only
  // makes a round slower, so the repeats never run much shorter than asked).
  int64_t iters = 1 << 12;
  const double enough = std::min(0.01, seconds_per_repeat / 2);
  double s = timed_run(loop, 1, iters);
  while (s < enough) {
    iters *= 4;
    s = timed_run(loop, 1, iters);
  }
  iters =
      std::max<int64_t>(1 << 12, static_cast<int64_t>(static_cast<double>(iters) * seconds_per_repeat / s));
  std::vector<double> rates;
  const double flops = static_cast<double>(peak_loop_flops(loop, iters)) * threads;
  for (int r = 0; r < repeats; ++r) rates.push_back(flops / timed_run(loop, threads, iters) / 1e9);
  std::sort(rates.begin(), rates.end());
  PeakMeasurement m;
  m.precision = precision;
  m.threads = threads;
  m.loop = &loop;
  m.iters = iters;
  m.repeats = repeats;
  m.gflops = rates.back();
  m.gflops_median = rates[rates.size() / 2];
  m.seconds = seconds_since(start);
  return m;
}

PeakFlops host_peak(Precision precision, int threads, double given_gflops, const std::string& given_by) {
  PeakFlops peak;
  peak.threads = threads;
  peak.precision = precision;
  if (given_gflops > 0) {
    peak.gflops = given_gflops;
    peak.source = given_by;
    return peak;
  }
  if (const char* env = std::getenv("LONGNET_PEAK_GFLOPS"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    const double v = std::strtod(env, &end);
    LN_CHECK(end != env && *end == '\0' && std::isfinite(v) && v > 0, "LONGNET_PEAK_GFLOPS is '", env,
             "'; give the peak in GFLOP/s (e.g. 374), or unset it to measure (`longnet bench peak`)");
    peak.gflops = v;
    peak.source = "LONGNET_PEAK_GFLOPS";
    return peak;
  }
  static std::mutex mutex;
  static std::map<std::pair<int, int>, PeakMeasurement> cache;
  std::lock_guard<std::mutex> lock(mutex);
  const auto key = std::make_pair(static_cast<int>(precision), threads);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, measure_peak(precision, threads, 0.02, 4)).first;
  peak.gflops = it->second.gflops;
  peak.source = "measured";
  peak.isa = it->second.loop->isa;
  return peak;
}

std::string describe_peak(const PeakFlops& peak) {
  const char* op = peak.isa.empty() ? "" : peak.isa == "vdpbf16ps" ? " dot-product" : " FMA";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", peak.gflops);
  std::string text = std::string(precision_name(peak.precision)) + op + " peak " + buf + " GFLOP/s at " +
                     std::to_string(peak.threads) + (peak.threads == 1 ? " thread (" : " threads (") +
                     peak.source;
  if (!peak.isa.empty()) text += ", " + peak.isa;
  return text + ")";
}

}  // namespace ln
