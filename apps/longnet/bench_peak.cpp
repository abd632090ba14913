// `longnet bench peak`: the machine's multiply-add peak (kernels/fma_peak.hpp), what every MFU
// figure divides by. One JSON object per (dtype, thread count):
//   {"bench":"peak","dtype":"fp32","op":"fma","isa":"avx512","threads":2,"gflops":374.1,
//    "gflops_median":371.8,"gflops_per_thread":187.0,"lanes":16,"accumulators":16,...}
// fp32 is the FMA loop; bf16 the vdpbf16ps loop where the CPU has AVX512-BF16, else the FMA
// loop (a bf16 run then multiplies on the fp32 units). gflops is the fastest repeat (the least
// disturbed on a shared machine), gflops_median the median one.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "comma_list.hpp"
#include "command_registry.hpp"
#include "core/enum_names.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/threading.hpp"
#include "kernels/fma_peak.hpp"
#include "kernels/reference/fma_peak.hpp"

namespace {

struct PeakArgs {
  std::string dtypes = "fp32,bf16";
  std::vector<int> thread_counts;  // empty: 1 .. hardware threads
  double seconds = 0.2;
  int repeats = 5;
  bool check = false;
};

// The probe's loop against its plain-loop twin on a few rounds (values that round, for FMA).
bool loop_matches_reference(const ln::PeakLoop& loop) {
  const bool dot = std::string(loop.op) == "dot";
  const size_t n = static_cast<size_t>(loop.accumulators) * loop.lanes;
  std::vector<float> fast(n), slow(n);
  const float a = dot ? 0.5f : 0.999f, b = dot ? 0.375f : 0.3f;
  loop.run(100, a, b, fast.data());
  if (dot)
    ln::reference::peak_bf16_dot(100, loop.accumulators, loop.lanes, a, b, slow.data());
  else
    ln::reference::peak_fma(100, loop.accumulators, loop.lanes, a, b, slow.data());
  return fast == slow &&
         ln::peak_loop_flops(loop, 100) == ln::reference::peak_flops(100, loop.accumulators, loop.lanes, dot);
}

int run(const PeakArgs& args) {
  std::vector<ln::Precision> dtypes;
  for (const std::string& s : ln::app::split_items(args.dtypes, ',')) {
    const auto dtype = ln::enum_from_name(ln::kPrecisionNames, s);
    LN_CHECK(dtype, "[bench peak] --dtype '", s, "' is not one of ", ln::enum_names_text(ln::kPrecisionNames),
             "; e.g. --dtype fp32,bf16");
    dtypes.push_back(*dtype);
  }
  std::vector<int> counts = args.thread_counts;
  if (counts.empty())
    for (int t = 1; t <= ln::hardware_threads(); ++t) counts.push_back(t);
  int status = 0;
  for (ln::Precision dtype : dtypes) {
    bool checked_ok = true;
    if (args.check) checked_ok = loop_matches_reference(ln::peak_loop(dtype));
    for (int threads : counts) {
      const ln::PeakMeasurement m = ln::measure_peak(dtype, threads, args.seconds, args.repeats);
      ln::JsonObject line;
      line.add("bench", "peak")
          .add("dtype", ln::precision_name(dtype))
          .add("op", m.loop->op)
          .add("isa", m.loop->isa)
          .add("threads", threads)
          .add("hardware_threads", ln::hardware_threads())
          .add("gflops", m.gflops)
          .add("gflops_median", m.gflops_median)
          .add("gflops_per_thread", m.gflops / threads)
          .add("lanes", m.loop->lanes)
          .add("accumulators", m.loop->accumulators)
          .add("flops_per_lane", m.loop->flops_per_lane)
          .add("iters", m.iters)
          .add("repeats", m.repeats)
          .add("seconds", m.seconds);
      if (args.check) line.add("check", checked_ok ? "ok" : "the loop's values differ from the reference's");
      std::cout << line.str() << std::endl;
    }
    if (!checked_ok) status = 1;
  }
  return status;
}

ln::app::RegisterCommand reg{
    {"bench", "peak", "fp32 FMA and bf16 dot-product peak GFLOP/s per thread count (what MFU divides by)",
     [](CLI::App& cmd) -> ln::app::RunFn {
       auto args = std::make_shared<PeakArgs>();
       cmd.add_option("--dtype", args->dtypes, "fp32 (FMA), bf16 (vdpbf16ps where the CPU has it), or both")
           ->capture_default_str();
       cmd.add_option("--thread-counts", args->thread_counts,
                      "Thread counts to measure, comma-separated (default 1 .. hardware threads)")
           ->delimiter(',')
           ->check(CLI::PositiveNumber);
       cmd.add_option("--seconds", args->seconds, "Length of one timed repeat")
           ->check(CLI::Range(0.001, 60.0))
           ->capture_default_str();
       cmd.add_option("--repeats", args->repeats, "Timed repeats per point (the fastest is gflops)")
           ->check(CLI::Range(1, 1000))
           ->capture_default_str();
       cmd.add_flag("--check", args->check,
                    "Compare the loop's values and FLOP count with the plain-loop reference first; exit 1 if "
                    "they differ");
       return [args] { return run(*args); };
     }}};

}  // namespace
