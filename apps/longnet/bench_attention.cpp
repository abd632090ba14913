// `longnet bench attention`: time the attention kernels (dense, sparse, dilated) over a sweep
// of sequence lengths, one JSON object per line and point. Kernels only: no rotation (the
// op's O(T*D) pre-pass), XPOS decay off unless --positions xpos.
//
//   longnet bench attention --seq 4096,65536 --kind dense,dilated --pass fwdbwd --heads 4 --head-dim 64
//
// Keys: seq, kind, pass, heads, head_dim, ms (median of --repeats runs), gflops (useful FLOPs:
// 4*D per visited (query, key) pair forward, 2.5x that backward), peak_rss_bytes (of the
// process so far, so sweep T upwards to read it per point), plus batch, threads, isa, precision
// (--precision fp32|bf16: the kernel's bf16 mode) and bf16_dot (vdpbf16ps or fma), repeats,
// segments, dilations, omp_wait_policy, and cpu_ms / gflops_per_cpu_second (process CPU time:
// on a shared machine wall time includes the time other processes held the cores; gflops
// per CPU-second times the thread count is what the run would reach on idle cores).
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "command_registry.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/median.hpp"
#include "core/memory_stats.hpp"
#include "core/threading.hpp"
#include "kernels/attention/attention_kernel.hpp"
#include "kernels/matmul_dnnl.hpp"
#include "kernels/reference/attention_reference.hpp"

namespace ln::app {
namespace {

struct Options {
  std::string seq = "4096,16384,65536";
  std::string kinds = "dilated";
  std::string pass = "fwdbwd";
  int64_t heads = 4, head_dim = 64, batch = 1;
  std::string segments = "2048,4096,8192,16384,32768";
  std::string dilations = "1,2,4,6,12";
  std::string positions = "none";
  std::string isa = "auto";
  std::string precision = "fp32";
  int64_t sparse_block = 128, sparse_summary = 16;
  int repeats = 3;
  int64_t omp_matmul = 0;
  int64_t matmul_reference = 0;
  bool check = false;
};

std::vector<int64_t> parse_list(const std::string& text, const char* flag) {
  std::vector<int64_t> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      size_t used = 0;
      long long v = std::stoll(item, &used);
      LN_CHECK(used == item.size() && v > 0, "");
      out.push_back(v);
    } catch (...) {
      LN_FAIL("[bench attention] ", flag, " has '", item, "'; give positive integers separated by commas");
    }
  }
  LN_CHECK(!out.empty(), "[bench attention] ", flag, " is empty");
  return out;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

std::string join(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

// CPU time of the whole process (all threads): on a shared machine, wall time also counts the
// time other processes held our cores, CPU time does not.
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

// Compares the kernel with the double reference at a small T; returns the worst relative error.
double check_against_reference(const AttentionSpec& spec, int64_t heads, int64_t head_dim, int64_t T,
                               Precision precision) {
  AttentionDims dims;
  dims.precision = precision;
  dims.batch = 1;
  dims.heads = heads;
  dims.q_len = dims.k_len = T;
  dims.head_dim = head_dim;
  const size_t n = static_cast<size_t>(heads * T * head_dim);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> q(n), k(n), v(n), dout(n), o(n), lse(n / head_dim), dq(n), dk(n), dv(n);
  for (auto* x : {&q, &k, &v, &dout})
    for (float& e : *x) e = dist(rng);
  attention_forward(spec, dims, {}, q.data(), k.data(), v.data(), o.data(), lse.data());
  attention_backward(spec, dims, {}, q.data(), k.data(), v.data(), o.data(), lse.data(), dout.data(),
                     dq.data(), dk.data(), dv.data());
  std::vector<double> qd(q.begin(), q.end()), kd(k.begin(), k.end()), vd(v.begin(), v.end()),
      dod(dout.begin(), dout.end()), ro(n), rl(n / head_dim), rdq(n), rdk(n), rdv(n);
  reference::attention_forward_multiset(spec, dims, {}, qd.data(), kd.data(), vd.data(), ro.data(),
                                        rl.data());
  reference::attention_backward_multiset(spec, dims, {}, qd.data(), kd.data(), vd.data(), dod.data(),
                                         rdq.data(), rdk.data(), rdv.data());
  double worst = 0;
  auto cmp = [&](const std::vector<float>& a, const std::vector<double>& b) {
    double scale = 1e-3;
    for (double x : b) scale = std::max(scale, std::abs(x));
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::isinf(b[i]) && a[i] == b[i]) continue;
      const double e = std::abs(a[i] - b[i]) / scale;
      worst = std::max(worst, std::isnan(e) ? 1e30 : e);
    }
  };
  cmp(o, ro);
  cmp(lse, rl);
  cmp(dq, rdq);
  cmp(dk, rdk);
  cmp(dv, rdv);
  return worst;
}

int run(const Options& opt) {
  const auto seqs = parse_list(opt.seq, "--seq");
  const auto segs = parse_list(opt.segments, "--segments");
  const auto dils = parse_list(opt.dilations, "--dilations");
  const auto kinds = split(opt.kinds);
  const auto passes = split(opt.pass);
  for (const auto& p : passes)
    LN_CHECK(p == "fwd" || p == "bwd" || p == "fwdbwd", "[bench attention] --pass is '", p,
             "'; valid values: fwd, bwd, fwdbwd");
  if (opt.isa == "avx2")
    set_attention_isa(AttentionIsa::avx2);
  else if (opt.isa == "avx512")
    set_attention_isa(AttentionIsa::avx512);
  else
    LN_CHECK(opt.isa == "auto", "[bench attention] --isa is '", opt.isa,
             "'; valid values: auto, avx2, avx512");

  const auto chosen = enum_from_name(kPrecisionNames, opt.precision);
  LN_CHECK(chosen, "[bench attention] --precision is '", opt.precision,
           "'; valid values: ", enum_names_text(kPrecisionNames));
  const Precision precision = *chosen;
  const bool bf16_mode = precision == Precision::bf16;

  if (opt.matmul_reference > 0) {
    // The machine's matmul rate in this same run, in the same precision (fp32: oneDNN sgemm;
    // bf16: the oneDNN bf16 matmul the model's linear layers use, fp32 accumulation), OpenMP,
    // same thread count, so the attention lines can be read as a fraction of it.
    const int64_t m = opt.matmul_reference;
    LN_CHECK(
        !bf16_mode || matmul_bf16_supported(),
        "[bench attention] --matmul-reference with --precision bf16 needs oneDNN's bf16 matmul, which this "
        "CPU lacks (needs AVX-512); drop --matmul-reference or use --precision fp32");
    std::vector<float> a(static_cast<size_t>(m * m), 0.5f), c(a.size());
    std::vector<bf16> ab(bf16_mode ? a.size() : 0, bf16(0.5f));
    MatmulShape shape;
    shape.m = shape.k = shape.n = m;
    if (bf16_mode) matmul_dnnl(shape, ab.data(), ab.data(), nullptr, c.data());  // primitive created untimed
    std::vector<double> times, cpu_times;
    for (int rep = 0; rep < std::max(opt.repeats, 3); ++rep) {
      const double t0 = now_ms(), c0 = cpu_ms();
      if (bf16_mode)
        matmul_dnnl(shape, ab.data(), ab.data(), nullptr, c.data());
      else
        LN_CHECK(
            dnnl_sgemm('N', 'N', m, m, m, 1.f, a.data(), m, a.data(), m, 0.f, c.data(), m) == dnnl_success,
            "[bench attention] oneDNN sgemm failed");
      times.push_back(now_ms() - t0);
      cpu_times.push_back(cpu_ms() - c0);
    }
    const double ms = median(times), cms = median(cpu_times);
    const double flops = 2.0 * static_cast<double>(m) * m * m;
    std::cout << JsonObject()
                     .add("kind", "matmul_reference")
                     .add("m", m)
                     .add("precision", precision_name(precision))
                     .add("ms", ms)
                     .add("gflops", flops / (ms * 1e6))
                     .add("cpu_ms", cms)
                     .add("gflops_per_cpu_second", flops / (cms * 1e6))
                     .add("threads", threads())
                     .add("omp_wait_policy", openmp_wait_policy())
                     .str()
              << std::endl;
  }
  int status = 0;
  for (const auto& kind_name : kinds) {
    AttentionSpec spec;
    spec.kind = parse_attention_kind(kind_name);
    spec.segments = segs;
    spec.dilations = dils;
    spec.positions = parse_position_kind(opt.positions);
    spec.sparse_block = opt.sparse_block;
    spec.sparse_summary = opt.sparse_summary;
    validate_attention_spec(spec, opt.heads, opt.head_dim);
    if (opt.check) {
      // Small T, patterns truncated to it as usual; the shape of the run, not its length.
      const int64_t T = std::min<int64_t>(seqs.front(), 300);
      const double err = check_against_reference(spec, opt.heads, opt.head_dim, T, precision);
      // bf16 mode: the operands are rounded to bf16 (2^-9 each), tests/kernels/test_attention_bf16.cpp.
      const bool ok = err < (bf16_mode ? 2e-2 : 1e-3);
      std::cout << JsonObject()
                       .add("check", ok ? "pass" : "FAIL")
                       .add("kind", kind_name)
                       .add("seq", T)
                       .add("heads", opt.heads)
                       .add("head_dim", opt.head_dim)
                       .add("max_rel_error", err)
                       .add("isa", attention_isa_name())
                       .add("precision", precision_name(precision))
                       .str()
                << std::endl;
      if (!ok) return 1;
    }
    for (int64_t T : seqs) {
      AttentionDims dims;
      dims.batch = opt.batch;
      dims.heads = opt.heads;
      dims.q_len = dims.k_len = T;
      dims.head_dim = opt.head_dim;
      dims.precision = precision;
      const size_t n = static_cast<size_t>(opt.batch * opt.heads * T * opt.head_dim);
      std::vector<float> q(n), k(n), v(n), o(n), lse(n / static_cast<size_t>(opt.head_dim));
      std::mt19937 rng(1);
      std::uniform_real_distribution<float> dist(-1.f, 1.f);
      for (auto* x : {&q, &k, &v})
        for (float& e : *x) e = dist(rng);
      const double fwd_flops = attention_forward_flops(spec, dims);
      std::vector<float> dout, dq, dk, dv;
      for (const auto& pass : passes) {
        if (pass != "fwd" && dout.empty()) {
          dout.resize(n);
          dq.resize(n);
          dk.resize(n);
          dv.resize(n);
          for (float& e : dout) e = dist(rng);
        }
        if (pass == "bwd")
          attention_forward(spec, dims, {}, q.data(), k.data(), v.data(), o.data(), lse.data());
        std::vector<double> times, cpu_times;
        // --omp-matmul: a oneDNN (OpenMP) sgemm right before each timed call, as in a model
        // step. With OMP_WAIT_POLICY=ACTIVE its idle workers keep spinning into the TBB kernel;
        // PASSIVE (what longnet sets by default) puts them to sleep.
        std::vector<float> ma, mc;
        if (opt.omp_matmul > 0) {
          ma.assign(static_cast<size_t>(opt.omp_matmul * opt.omp_matmul), 0.5f);
          mc.resize(ma.size());
        }
        for (int rep = 0; rep < opt.repeats; ++rep) {
          if (opt.omp_matmul > 0) {
            const int64_t m = opt.omp_matmul;
            LN_CHECK(dnnl_sgemm('N', 'N', m, m, m, 1.f, ma.data(), m, ma.data(), m, 0.f, mc.data(), m) ==
                         dnnl_success,
                     "[bench attention] oneDNN sgemm failed");
          }
          const double t0 = now_ms(), c0 = cpu_ms();
          if (pass != "bwd")
            attention_forward(spec, dims, {}, q.data(), k.data(), v.data(), o.data(), lse.data());
          if (pass != "fwd")
            attention_backward(spec, dims, {}, q.data(), k.data(), v.data(), o.data(), lse.data(),
                               dout.data(), dq.data(), dk.data(), dv.data());
          times.push_back(now_ms() - t0);
          cpu_times.push_back(cpu_ms() - c0);
        }
        const double ms = median(times), cms = median(cpu_times);
        const double flops = fwd_flops * (pass == "fwd" ? 1.0 : pass == "bwd" ? 2.5 : 3.5);
        JsonObject line;
        line.add("seq", T)
            .add("kind", kind_name)
            .add("pass", pass)
            .add("heads", opt.heads)
            .add("head_dim", opt.head_dim)
            .add("ms", ms)
            .add("gflops", flops / (ms * 1e6))
            .add("peak_rss_bytes", peak_rss_bytes())
            .add("cpu_ms", cms)
            .add("gflops_per_cpu_second", flops / (cms * 1e6))
            .add("batch", opt.batch)
            .add("threads", threads())
            .add("isa", attention_isa_name())
            .add("precision", precision_name(precision))
            .add("bf16_dot", bf16_mode ? attention_bf16_dot_name() : "none")
            .add("repeats", opt.repeats)
            .add_raw("segments", join(spec.kind == AttentionKind::dilated ? segs : std::vector<int64_t>{}))
            .add_raw("dilations", join(spec.kind == AttentionKind::dilated ? dils : std::vector<int64_t>{}))
            .add("positions", opt.positions)
            .add("omp_wait_policy", openmp_wait_policy())
            .add("omp_matmul", opt.omp_matmul);
        std::cout << line.str() << std::endl;
      }
    }
  }
  return status;
}

RegisterCommand reg{
    {"bench", "attention", "Time the attention kernels (dense, sparse, dilated) over sequence lengths",
     [](CLI::App& cmd) {
       auto opt = std::make_shared<Options>();
       cmd.add_option("--seq", opt->seq, "Sequence lengths, comma-separated")->capture_default_str();
       cmd.add_option("--kind", opt->kinds, "Kinds: dense,sparse,dilated")->capture_default_str();
       cmd.add_option("--pass", opt->pass, "fwd, bwd or fwdbwd (comma list allowed)")->capture_default_str();
       cmd.add_option("--heads", opt->heads, "Heads H")->capture_default_str();
       cmd.add_option("--head-dim", opt->head_dim, "Head dimension D")->capture_default_str();
       cmd.add_option("--batch", opt->batch, "Batch B")->capture_default_str();
       cmd.add_option("--segments", opt->segments, "Segment lengths w (each truncated to T)")
           ->capture_default_str();
       cmd.add_option("--dilations", opt->dilations, "Dilations r, one per segment")->capture_default_str();
       cmd.add_option("--positions", opt->positions, "none or xpos (XPOS decay inside the kernel)")
           ->capture_default_str();
       cmd.add_option("--sparse-block", opt->sparse_block, "Block length of kind sparse")
           ->capture_default_str();
       cmd.add_option("--sparse-summary", opt->sparse_summary, "Summary columns per block of kind sparse")
           ->capture_default_str();
       cmd.add_option("--repeats", opt->repeats, "Timed runs per point (median reported)")
           ->capture_default_str();
       cmd.add_option("--isa", opt->isa, "auto, avx2 or avx512")->capture_default_str();
       cmd.add_option("--precision", opt->precision,
                      "fp32 or bf16 (bf16 operands, fp32 accumulation and softmax statistics)")
           ->capture_default_str();
       cmd.add_option("--omp-matmul", opt->omp_matmul,
                      "Run an NxNxN oneDNN (OpenMP) sgemm before each timed call (0 = off); compare "
                      "OMP_WAIT_POLICY=ACTIVE with PASSIVE")
           ->capture_default_str();
       cmd.add_option(
              "--matmul-reference", opt->matmul_reference,
              "First time an NxNxN oneDNN matmul in --precision (0 = off): the matmul rate of this run")
           ->capture_default_str();
       cmd.add_flag("--check", opt->check, "Compare with the reference at small T first; exit 1 on mismatch");
       return [opt] { return run(*opt); };
     }}};

}  // namespace
}  // namespace ln::app
