#include "train/grad_clip.hpp"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cmath>

#include "core/error.hpp"
#include "core/parallel_for.hpp"
#include "core/step_profile.hpp"

namespace ln {

namespace {

constexpr int64_t kClipChunk = 1 << 16;

int64_t chunk_count(int64_t n) { return (n + kClipChunk - 1) / kClipChunk; }

// Runs fn(chunk_index, begin, end) over the fixed chunks of an n-element tensor.
template <typename Fn>
void for_each_chunk(int64_t n, Fn&& fn) {
  const int64_t chunks = chunk_count(n);
  if (chunks <= 1) {
    if (n > 0) fn(int64_t{0}, int64_t{0}, n);
    return;
  }
  ln::parallel_for(int64_t{0}, chunks, [&](int64_t c) {
    const int64_t begin = c * kClipChunk;
    fn(c, begin, std::min(n, begin + kClipChunk));
  });
}

// Sum of squares of one chunk in double: four AVX2 accumulators of 4 doubles each (fp32
// widened exactly, then fused multiply-add), reduced in a fixed order, so the result is
// deterministic and the loop is not bound by one add's latency.
double sum_squares(const float* x, int64_t begin, int64_t end) {
  __m256d acc[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
  int64_t i = begin;
  for (; i + 16 <= end; i += 16) {
    for (int k = 0; k < 4; ++k) {
      const __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4 * k));
      acc[k] = _mm256_fmadd_pd(v, v, acc[k]);
    }
  }
  alignas(32) double lanes[4][4];
  for (int k = 0; k < 4; ++k) _mm256_store_pd(lanes[k], acc[k]);
  double total = 0.0;
  for (int lane = 0; lane < 4; ++lane) {
    total += (lanes[0][lane] + lanes[1][lane]) + (lanes[2][lane] + lanes[3][lane]);
  }
  for (; i < end; ++i) total += double(x[i]) * double(x[i]);
  return total;
}

const float* grad_data(const Var& p, const char* where) {
  const Tensor& g = p.grad();
  LN_CHECK(g.dtype() == Precision::fp32, "[", where, "] a gradient is ", precision_name(g.dtype()),
           "; gradients must be f32");
  return g.data();
}

}  // namespace

double global_grad_norm(const std::vector<Var>& params) {
  const ProfileScope profile(ProfileCategory::optimizer);
  double total = 0.0;
  std::vector<double> partial;
  for (const Var& p : params) {
    if (!p.defined() || !p.grad().defined()) continue;
    const float* g = grad_data(p, "global_grad_norm");
    const int64_t n = p.grad().numel();
    partial.assign(static_cast<size_t>(chunk_count(n)), 0.0);
    for_each_chunk(n,
                   [&](int64_t c, int64_t begin, int64_t end) { partial[c] = sum_squares(g, begin, end); });
    for (double s : partial) total += s;  // fixed order
  }
  return std::sqrt(total);
}

double clip_grad_norm(const std::vector<Var>& params, double max_norm) {
  const ProfileScope profile(ProfileCategory::optimizer);  // one call: the parts below merge into it
  const double norm = global_grad_norm(params);
  if (max_norm > 0 && std::isfinite(norm) && norm > max_norm) scale_grads(params, max_norm / (norm + 1e-6));
  return norm;
}

bool all_finite(const Tensor& t) {
  const ProfileScope profile(ProfileCategory::optimizer);
  if (!t.defined()) return true;
  LN_CHECK(t.dtype() == Precision::fp32, "[all_finite] tensor is ", precision_name(t.dtype()),
           "; expected fp32");
  const float* x = t.data();
  std::atomic<bool> ok{true};
  for_each_chunk(t.numel(), [&](int64_t, int64_t begin, int64_t end) {
    // x - x is 0 for finite x and NaN for inf/NaN, and NaN sticks: a branch-free test.
    float acc = 0.0f;
    for (int64_t i = begin; i < end; ++i) acc += x[i] - x[i];
    if (acc != 0.0f) ok.store(false, std::memory_order_relaxed);
  });
  return ok.load();
}

bool all_finite(const std::vector<Var>& params) {
  const ProfileScope profile(ProfileCategory::optimizer);  // one call: the parts below merge into it
  for (const Var& p : params) {
    if (p.defined() && !all_finite(p.grad())) return false;
  }
  return true;
}

void scale_grads(const std::vector<Var>& params, double factor) {
  const ProfileScope profile(ProfileCategory::optimizer);
  LN_CHECK(std::isfinite(factor), "[scale_grads] factor is ", factor, "; use a finite value");
  const float f = static_cast<float>(factor);
  for (const Var& p : params) {
    if (!p.defined() || !p.grad().defined()) continue;
    grad_data(p, "scale_grads");
    Var shared = p;  // copies of a Var share its gradient
    float* g = shared.grad().data();
    for_each_chunk(p.grad().numel(), [&](int64_t, int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) g[i] *= f;
    });
  }
}

}  // namespace ln
