// `longnet bench matmul`: GFLOP/s of the oneDNN matmul kernel (kernels/matmul_dnnl.hpp) at
// the model's GEMM shapes. One JSON object per (shape, dtype, layout) on stdout:
//   {"bench":"matmul","m":4096,"k":256,"n":256,"dtype":"fp32","layout":"nn","threads":2,
//    "ms":1.9,"ms_min":1.8,"gflops":282.1,"repeats":10,"omp_wait_policy":"PASSIVE",...}
// `ms` is the median of the timed repeats (after warm-up calls that build the primitive and
// fault in the buffers); gflops = 2·M·K·N / ms, gflops_best the same for the fastest call.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "comma_list.hpp"
#include "command_registry.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/median.hpp"
#include "core/tensor.hpp"
#include "core/threading.hpp"
#include "kernels/matmul_dnnl.hpp"

namespace {

using ln::Tensor;

struct Options {
  std::string shapes = "4096x256x256,4096x512x512,4096x1024x1024,1024x1024x1024";
  std::string dtypes = "fp32";
  std::string layouts = "nn";
  int repeats = 10;
  int warmup = 2;
};

struct Dims {
  int64_t m, k, n;
};

Dims parse_shape(const std::string& text) {
  std::vector<std::string> parts = ln::app::split_items(text, 'x');
  Dims d{0, 0, 0};
  bool ok = parts.size() == 3;
  try {
    if (ok) d = {std::stoll(parts[0]), std::stoll(parts[1]), std::stoll(parts[2])};
  } catch (const std::exception&) {
    ok = false;
  }
  LN_CHECK(ok && d.m > 0 && d.k > 0 && d.n > 0, "[bench matmul] --shapes entry '", text,
           "' is not MxKxN with positive sizes; e.g. --shapes 4096x512x512,1024x1024x1024");
  return d;
}

Tensor random_input(int64_t count, uint64_t seed, ln::Precision dtype) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Tensor t = Tensor::empty({count});
  for (int64_t i = 0; i < count; ++i) t.data()[i] = dist(rng);
  return t.to(dtype);
}

void run_one(const Options& o, Dims d, ln::Precision dtype, const std::string& layout) {
  ln::MatmulShape shape{1, d.m, d.k, d.n, layout[0] == 't', layout[1] == 't'};
  ln::JsonObject line;
  line.add("bench", "matmul")
      .add("m", d.m)
      .add("k", d.k)
      .add("n", d.n)
      .add("dtype", ln::precision_name(dtype))
      .add("layout", layout)
      .add("threads", ln::threads());
  bool bf16 = dtype == ln::Precision::bf16;
  if (bf16 && !ln::matmul_bf16_supported()) {
    line.add("skipped", "oneDNN has no bf16 matmul on this CPU (needs AVX-512)");
    std::cout << line.str() << std::endl;
    return;
  }
  Tensor a = random_input(d.m * d.k, 1, dtype), b = random_input(d.k * d.n, 2, dtype);
  Tensor c = Tensor::empty({d.m, d.n});
  auto call = [&] {
    if (bf16)
      ln::matmul_dnnl(shape, a.data_bf16(), b.data_bf16(), nullptr, c.data());
    else
      ln::matmul_dnnl(shape, a.data(), b.data(), nullptr, c.data());
  };
  for (int i = 0; i < o.warmup; ++i) call();
  std::vector<double> ms;
  for (int i = 0; i < o.repeats; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    call();
    auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  double med = ln::median(ms), best = *std::min_element(ms.begin(), ms.end());
  double flops = 2.0 * double(d.m) * double(d.k) * double(d.n);
  line.add("ms", med)
      .add("ms_min", best)
      .add("gflops", flops / (med * 1e6))
      .add("gflops_best", flops / (best * 1e6))  // on a shared machine, the least disturbed call
      .add("repeats", o.repeats)
      .add("omp_wait_policy", ln::openmp_wait_policy())
      .add("isa", ln::dnnl_isa_name())
      .add("impl", ln::matmul_dnnl_impl(shape, bf16))
      .add("dnnl", ln::dnnl_version_string());
  std::cout << line.str() << std::endl;
}

int run(const Options& o) {
  std::vector<Dims> dims;
  for (const std::string& s : ln::app::split_items(o.shapes, ',')) dims.push_back(parse_shape(s));
  LN_CHECK(!dims.empty(), "[bench matmul] --shapes is empty; e.g. --shapes 4096x512x512");
  std::vector<ln::Precision> dtypes;
  for (const std::string& s : ln::app::split_items(o.dtypes, ',')) {
    // The precision names (core/precision.hpp); "f32", oneDNN's spelling, is taken for fp32.
    const auto dtype = ln::enum_from_name(ln::kPrecisionNames, s == "f32" ? "fp32" : s);
    LN_CHECK(dtype, "[bench matmul] --dtype '", s, "' is not one of ",
             ln::enum_names_text(ln::kPrecisionNames), "; e.g. --dtype fp32,bf16");
    dtypes.push_back(*dtype);
  }
  std::vector<std::string> layouts = ln::app::split_items(o.layouts, ',');
  for (const std::string& s : layouts)
    LN_CHECK(s == "nn" || s == "nt" || s == "tn" || s == "tt", "[bench matmul] --layout '", s,
             "' is not one of nn, nt, tn, tt (t = that operand stored transposed)");
  LN_CHECK(o.repeats >= 1, "[bench matmul] --repeats must be at least 1");
  for (Dims d : dims)
    for (ln::Precision dtype : dtypes)
      for (const std::string& layout : layouts) run_one(o, d, dtype, layout);
  return 0;
}

ln::app::RegisterCommand reg{
    {"bench", "matmul", "GFLOP/s of the oneDNN matmul kernel at given shapes", [](CLI::App& cmd) {
       auto o = std::make_shared<Options>();
       cmd.add_option("--shapes", o->shapes, "Comma-separated MxKxN list (C = A·B, A is MxK)")
           ->capture_default_str();
       cmd.add_option("--dtype", o->dtypes,
                      "Input precision(s): fp32, bf16 or fp32,bf16 (f32 is read as fp32; output is fp32)")
           ->capture_default_str();
       cmd.add_option("--layout", o->layouts,
                      "Operand layouts: nn, nt (B stored NxK, as a Linear forward), "
                      "tn (A stored KxM, as a weight gradient), tt; comma-separated")
           ->capture_default_str();
       cmd.add_option("--repeats", o->repeats, "Timed calls per measurement (median is reported)")
           ->capture_default_str();
       return [o] { return run(*o); };
     }}};

}  // namespace
