#include "kernels/matmul_dnnl.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <type_traits>
#include <unordered_map>

#include "core/error.hpp"
#include "core/step_profile.hpp"

namespace ln {

namespace {

using dims = dnnl::memory::dims;
using dt = dnnl::memory::data_type;

// The one engine and stream of the process. Function-local statics: created on first use,
// after main() has set the thread count, and never destroyed before the last call.
struct DnnlContext {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};
DnnlContext& context() {
  static DnnlContext ctx;
  return ctx;
}

// A shape after defaults are resolved: packed strides filled in, broadcast flags set, and a
// broadcast-B batch folded into M when A allows it.
struct Resolved {
  int64_t batch, m, k, n;
  bool trans_a, trans_b;
  int64_t stride_a, stride_b;  // element strides between batch items (0 = broadcast)
};

Resolved resolve(const MatmulShape& s) {
  LN_CHECK(s.batch >= 0 && s.m >= 0 && s.k >= 0 && s.n >= 0, "[matmul_dnnl] negative size in batch ", s.batch,
           ", M ", s.m, ", K ", s.k, ", N ", s.n, "; sizes must be >= 0");
  Resolved r{s.batch, s.m, s.k, s.n, s.trans_a, s.trans_b, s.batch_stride_a, s.batch_stride_b};
  if (r.stride_a == -1) r.stride_a = r.m * r.k;
  if (r.stride_b == -1) r.stride_b = r.k * r.n;
  LN_CHECK(r.stride_a == 0 || r.stride_a >= r.m * r.k, "[matmul_dnnl] batch stride of A (", s.batch_stride_a,
           ") is smaller than one ", r.m, "x", r.k,
           " matrix; use -1 (packed), 0 (broadcast) or at least M*K");
  LN_CHECK(r.stride_b == 0 || r.stride_b >= r.k * r.n, "[matmul_dnnl] batch stride of B (", s.batch_stride_b,
           ") is smaller than one ", r.k, "x", r.n,
           " matrix; use -1 (packed), 0 (broadcast) or at least K*N");
  if (r.batch == 1) {
    r.stride_a = r.m * r.k;
    r.stride_b = r.k * r.n;
  }
  // (batch, M, K) · (K, N) with A packed and untransposed is one (batch*M, K) · (K, N) GEMM.
  if (r.batch > 1 && r.stride_b == 0 && !r.trans_a && r.stride_a == r.m * r.k) {
    r.m *= r.batch;
    r.batch = 1;
    r.stride_a = r.m * r.k;
    r.stride_b = r.k * r.n;
  }
  return r;
}

// Memory descriptor of a row-major (rows, cols) matrix, or of its transpose stored
// (cols, rows), with an optional batch dimension (batch 0 broadcast -> dims 1).
dnnl::memory::desc matrix_desc(int64_t batch, int64_t stride, int64_t rows, int64_t cols, bool trans, dt type,
                               bool batched) {
  dims inner_strides = trans ? dims{1, rows} : dims{cols, 1};
  if (!batched) return dnnl::memory::desc({rows, cols}, type, inner_strides);
  int64_t b = stride == 0 ? 1 : batch;
  int64_t bs = stride == 0 ? rows * cols : stride;
  return dnnl::memory::desc({b, rows, cols}, type, {bs, inner_strides[0], inner_strides[1]});
}

using PrimitiveKey = std::array<int64_t, 12>;

struct Entry {
  dnnl::matmul primitive;
  dnnl::memory::desc a, b, bias, c;
  std::string impl;
};

// Entries are shared so that a flush never frees a primitive a caller is about to run.
using EntryPtr = std::shared_ptr<const Entry>;

struct Cache {
  std::mutex mutex;
  std::map<PrimitiveKey, EntryPtr> entries;
  MatmulCacheStats stats;
};
Cache& cache() {
  static Cache c;
  return c;
}

// Past this many distinct shapes the cache is flushed (varying eval lengths must not grow
// it without bound; a training run uses a few dozen shapes).
constexpr size_t kMaxEntries = 512;

EntryPtr get_entry(const Resolved& r, bool bf16_inputs, bool has_bias, bool accumulate) {
  int threads = omp_get_max_threads();  // some oneDNN kernels fix their split at creation
  PrimitiveKey key{r.batch,     r.m,       r.k,       r.n,      r.stride_a, r.stride_b,
                   bf16_inputs, r.trans_a, r.trans_b, has_bias, accumulate, threads};
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  auto found = c.entries.find(key);
  if (found != c.entries.end()) {
    ++c.stats.hits;
    return found->second;
  }
  ++c.stats.misses;
  if (c.entries.size() >= kMaxEntries) c.entries.clear();

  bool batched = r.batch > 1;
  dt in_type = bf16_inputs ? dt::bf16 : dt::f32;
  auto entry = std::make_shared<Entry>();
  Entry& e = *entry;
  e.a = matrix_desc(r.batch, r.stride_a, r.m, r.k, r.trans_a, in_type, batched);
  e.b = matrix_desc(r.batch, r.stride_b, r.k, r.n, r.trans_b, in_type, batched);
  e.c = matrix_desc(r.batch, r.m * r.n, r.m, r.n, false, dt::f32, batched);
  if (has_bias) {
    e.bias = batched ? dnnl::memory::desc({1, 1, r.n}, dt::f32, {r.n, r.n, 1})
                     : dnnl::memory::desc({1, r.n}, dt::f32, {r.n, 1});
  }
  dnnl::primitive_attr attr;
  if (accumulate) {
    dnnl::post_ops ops;
    ops.append_sum(1.0f);
    attr.set_post_ops(ops);
  }
  try {
    auto desc = has_bias ? dnnl::matmul::desc(e.a, e.b, e.bias, e.c) : dnnl::matmul::desc(e.a, e.b, e.c);
    dnnl::matmul::primitive_desc pd(desc, attr, context().engine);
    e.impl = pd.impl_info_str();
    e.primitive = dnnl::matmul(pd);
  } catch (const dnnl::error& err) {
    LN_FAIL("[matmul_dnnl] oneDNN cannot build a ", bf16_inputs ? "bf16" : "f32", " matmul for batch ",
            r.batch, ", M ", r.m, ", K ", r.k, ", N ", r.n, (r.trans_a ? ", A transposed" : ""),
            (r.trans_b ? ", B transposed" : ""), " (", err.what(), ")",
            bf16_inputs ? "; bf16 needs an AVX-512 CPU, use f32 here" : "");
  }
  c.entries.emplace(key, entry);
  c.stats.entries = static_cast<int64_t>(c.entries.size());
  return entry;
}

// C = bias or 0 (or C += bias) for K == 0, where there is no product to compute.
void empty_product(const Resolved& r, const float* bias, float* c, bool accumulate) {
  for (int64_t row = 0; row < r.batch * r.m; ++row) {
    float* out = c + row * r.n;
    for (int64_t j = 0; j < r.n; ++j) {
      float add = bias ? bias[j] : 0.0f;
      out[j] = accumulate ? out[j] + add : add;
    }
  }
}

template <typename T>
void run(const MatmulShape& shape, const T* a, const T* b, const float* bias, float* c, bool accumulate) {
  Resolved r = resolve(shape);
  if (r.batch == 0 || r.m == 0 || r.n == 0) return;
  if (r.k == 0) return empty_product(r, bias, c, accumulate);
  if (r.batch > 1 && r.stride_a == 0 && r.stride_b == 0) {
    // Both operands broadcast: oneDNN wants dst's batch to come from an input, so compute
    // each (identical) item as its own 2-D product.
    MatmulShape one = shape;
    one.batch = 1;
    for (int64_t i = 0; i < r.batch; ++i) run(one, a, b, bias, c + i * r.m * r.n, accumulate);
    return;
  }
  constexpr bool is_bf16 = std::is_same_v<T, bf16>;
  EntryPtr entry = get_entry(r, is_bf16, bias != nullptr, accumulate);
  const Entry& e = *entry;
  DnnlContext& ctx = context();
  // oneDNN takes non-const handles; it never writes to sources.
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, dnnl::memory(e.a, ctx.engine, const_cast<T*>(a))},
      {DNNL_ARG_WEIGHTS, dnnl::memory(e.b, ctx.engine, const_cast<T*>(b))},
      {DNNL_ARG_DST, dnnl::memory(e.c, ctx.engine, c)}};
  if (bias) args.emplace(DNNL_ARG_BIAS, dnnl::memory(e.bias, ctx.engine, const_cast<float*>(bias)));
  e.primitive.execute(ctx.stream, args);
  ctx.stream.wait();
}

// The product's FLOPs for the step profile: 2 per multiply-add, as model FLOPs count them.
double matmul_flops(const MatmulShape& s) {
  return 2.0 * static_cast<double>(s.batch) * static_cast<double>(s.m) * static_cast<double>(s.n) *
         static_cast<double>(s.k);
}

}  // namespace

void matmul_dnnl(const MatmulShape& shape, const float* a, const float* b, const float* bias, float* c,
                 bool accumulate) {
  const ProfileScope profile(ProfileCategory::gemm, matmul_flops(shape));
  run(shape, a, b, bias, c, accumulate);
}

void matmul_dnnl(const MatmulShape& shape, const bf16* a, const bf16* b, const float* bias, float* c,
                 bool accumulate) {
  const ProfileScope profile(ProfileCategory::gemm, matmul_flops(shape));
  run(shape, a, b, bias, c, accumulate);
}

bool matmul_bf16_supported() {
  static const bool supported = [] {
    try {
      dnnl::memory::desc md({16, 16}, dt::bf16, {16, 1});
      dnnl::memory::desc out({16, 16}, dt::f32, {16, 1});
      dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(md, md, out), context().engine);
      return true;
    } catch (const dnnl::error&) {
      return false;
    }
  }();
  return supported;
}

MatmulCacheStats matmul_cache_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.stats;
}

void matmul_cache_clear() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.entries.clear();
  c.stats.entries = 0;
}

std::string matmul_dnnl_impl(const MatmulShape& shape, bool bf16_inputs) {
  Resolved r = resolve(shape);
  if (r.batch == 0 || r.m == 0 || r.n == 0 || r.k == 0) return "none";
  return get_entry(r, bf16_inputs, false, false)->impl;
}

std::string dnnl_version_string() {
  const dnnl_version_t* v = dnnl_version();
  const char* runtime = v->cpu_runtime == DNNL_RUNTIME_OMP          ? "OpenMP"
                        : v->cpu_runtime == DNNL_RUNTIME_TBB        ? "TBB"
                        : v->cpu_runtime == DNNL_RUNTIME_SEQ        ? "sequential"
                        : v->cpu_runtime == DNNL_RUNTIME_THREADPOOL ? "threadpool"
                                                                    : "unknown";
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
         " (cpu_runtime=" + runtime + ")";
}

std::string dnnl_isa_name() {
  using isa = dnnl::cpu_isa;
  static const std::pair<isa, const char*> names[] = {
      {isa::sse41, "sse41"},
      {isa::avx, "avx"},
      {isa::avx2, "avx2"},
      {isa::avx2_vnni, "avx2_vnni"},
      {isa::avx512_mic, "avx512_mic"},
      {isa::avx512_mic_4ops, "avx512_mic_4ops"},
      {isa::avx512_core, "avx512_core"},
      {isa::avx512_core_vnni, "avx512_core_vnni"},
      {isa::avx512_core_bf16, "avx512_core_bf16"},
      {isa::avx512_core_amx, "avx512_core_amx"},
  };
  isa effective = dnnl::get_effective_cpu_isa();
  for (const auto& [value, name] : names)
    if (value == effective) return name;
  return "all";
}

}  // namespace ln
