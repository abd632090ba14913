// attention_forward / attention_backward: checks the call, builds the passes of the chosen
// kind (dense = the single dilated pattern (N, 1)) and runs them.
#include "kernels/attention/attention_kernel.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.hpp"
#include "core/parallel_for.hpp"
#include "core/step_profile.hpp"
#include "kernels/attention/attention_internal.hpp"

namespace ln {

namespace {

void check_call(const AttentionSpec& spec, const AttentionDims& dims, const AttentionWindow& window) {
  LN_CHECK(dims.batch >= 1 && dims.heads >= 1 && dims.head_dim >= 1 && dims.q_len >= 0 && dims.k_len >= 0,
           "[attention] bad sizes B=", dims.batch, " H=", dims.heads, " Tq=", dims.q_len, " Tk=", dims.k_len,
           " D=", dims.head_dim, "; every size must be positive");
  LN_CHECK(window.q_start >= 0 && window.k_start >= 0, "[attention] window starts q_start=", window.q_start,
           " k_start=", window.k_start, " must be >= 0");
  const int64_t N = attn::resolved_seq_len(dims, window);
  LN_CHECK(window.q_start + dims.q_len <= N && (window.keys_sparsified || window.k_start + dims.k_len <= N),
           "[attention] the rows passed reach past seq_len = ", N, "; pass seq_len >= the last position + 1");
  LN_CHECK(N < (int64_t{1} << 31), "[attention] sequence length ", N, " exceeds 2^31 - 1 positions");
  // The spec itself was validated where it was built (validate_attention_spec: the model, the
  // KV cache, the spec builders), once; a kernel call checks only that the call fits it.
  if (window.keys_sparsified) {
    LN_CHECK(spec.kind == AttentionKind::dilated && spec.segments.size() == 1,
             "[attention] keys_sparsified needs kind dilated with exactly one pattern (got ",
             spec.segments.size(), "); call once per pattern with accumulate = true");
    const int64_t w = std::min(spec.segments[0], N);
    LN_CHECK(window.k_start % w == 0,
             "[attention] sparsified keys must start at a segment start: k_start = ", window.k_start,
             " is not a multiple of the segment length ", w);
  }
}

std::vector<attn::AttentionPass> build_passes(const AttentionSpec& spec, const AttentionDims& dims,
                                              const AttentionWindow& window,
                                              const attn::AttentionBuffers& buf, bool tables) {
  switch (spec.kind) {
    case AttentionKind::dilated:
      return attn::dilated_passes(spec, dims, window, buf, tables);
    case AttentionKind::dense: {
      AttentionSpec one = spec;
      one.segments = {attn::resolved_seq_len(dims, window)};
      one.dilations = {1};
      return attn::dilated_passes(one, dims, window, buf, tables);
    }
    case AttentionKind::sparse:
      return attn::sparse_passes(spec, dims, window, buf, tables);
  }
  return {};
}

float scale_of(const AttentionDims& dims) {
  return dims.scale != 0.f ? dims.scale : 1.f / std::sqrt(static_cast<float>(dims.head_dim));
}

}  // namespace

void attention_forward(const AttentionSpec& spec, const AttentionDims& dims, const AttentionWindow& window,
                       const float* q, const float* k, const float* v, float* o, float* lse) {
  check_call(spec, dims, window);
  // The useful FLOPs (those `longnet flops` counts), counted before the call's clock starts.
  const double flops = step_profile_recording() ? attention_forward_flops(spec, dims, window) : 0.0;
  const ProfileScope profile(ProfileCategory::attention, flops);
  const int64_t rows = dims.batch * dims.heads * dims.q_len;
  if (!window.accumulate) {
    std::memset(o, 0, sizeof(float) * static_cast<size_t>(rows * dims.head_dim));
    std::fill(lse, lse + rows, -std::numeric_limits<float>::infinity());
  }
  attn::AttentionBuffers buf;
  buf.q = q;
  buf.k = k;
  buf.v = v;
  buf.o = o;
  buf.lse = lse;
  const float scale = scale_of(dims);
  for (const auto& pass : build_passes(spec, dims, window, buf, true))
    attn::run_forward_pass(pass.jobs, dims.head_dim, scale, dims.precision);
}

void attention_backward(const AttentionSpec& spec, const AttentionDims& dims, const AttentionWindow& window,
                        const float* q, const float* k, const float* v, const float* o, const float* lse,
                        const float* dout, float* dq, float* dk, float* dv) {
  check_call(spec, dims, window);
  // 2.5x the forward's useful FLOPs, the convention `longnet flops` counts the backward by.
  const double flops = step_profile_recording() ? 2.5 * attention_forward_flops(spec, dims, window) : 0.0;
  const ProfileScope profile(ProfileCategory::attention, flops);
  const int64_t D = dims.head_dim;
  const int64_t rows = dims.batch * dims.heads * dims.q_len;
  const int64_t krows = dims.batch * dims.heads * dims.k_len;
  if (!window.accumulate) {
    std::memset(dq, 0, sizeof(float) * static_cast<size_t>(rows * D));
    std::memset(dk, 0, sizeof(float) * static_cast<size_t>(krows * D));
    std::memset(dv, 0, sizeof(float) * static_cast<size_t>(krows * D));
  }
  // delta_i = dO_i . O_i, the softmax's correction term, once per row (in double: it is
  // subtracted from dP_ij, where cancellation would otherwise show).
  std::vector<float> delta(static_cast<size_t>(rows));
  ln::parallel_for(int64_t{0}, rows, [&](int64_t i) {
    double s = 0;
    for (int64_t t = 0; t < D; ++t) s += static_cast<double>(dout[i * D + t]) * o[i * D + t];
    delta[static_cast<size_t>(i)] = static_cast<float>(s);
  });
  attn::AttentionBuffers buf;
  buf.q = q;
  buf.k = k;
  buf.v = v;
  buf.lse = const_cast<float*>(lse);  // read only in the backward
  buf.dout = dout;
  buf.delta = delta.data();
  buf.dq = dq;
  buf.dk = dk;
  buf.dv = dv;
  const float scale = scale_of(dims);
  for (auto& pass : build_passes(spec, dims, window, buf, true)) {
    attn::run_backward_pass(pass.jobs, D, scale, dims.precision);
    if (pass.after_backward) pass.after_backward();
  }
}

double attention_forward_flops(const AttentionSpec& spec, const AttentionDims& dims,
                               const AttentionWindow& window) {
  attn::AttentionBuffers none;
  auto passes = build_passes(spec, dims, window, none, false);
  return 4.0 * static_cast<double>(dims.head_dim) * attn::count_pairs(passes);
}

}  // namespace ln
