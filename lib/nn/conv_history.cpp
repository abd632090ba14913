#include "nn/conv_history.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace ln {

namespace {

// rows: (K-1, C), row 0 the newest (C: the row width, here the attention width A). Shifts rows 0 .. K-3 down
// by one (K is small: a few C-float rows) and puts x first.
void push_newest_row(std::vector<float>& rows, const float* x, int64_t C) {
  std::copy_backward(rows.begin(), rows.end() - C, rows.end());
  std::copy(x, x + C, rows.begin());
}

// x[c] += Σ_{s=1..count} taps[s-1, c] · past[s-1, c], in the forward kernel's order (the token
// itself, then taps s = 1, 2, ...), so decoding sums exactly as the full forward does.
void add_tapped_history(const std::vector<float>& past, int64_t count, const float* taps, float* x,
                        int64_t C) {
  for (int64_t s = 1; s <= count; ++s) {
    const float* p = past.data() + (s - 1) * C;
    const float* w = taps + (s - 1) * C;
    for (int64_t c = 0; c < C; ++c) x[c] += w[c] * p[c];
  }
}

}  // namespace

ConvHistory::ConvHistory(const ModelSpec& spec)
    : taps_(spec.kv_conv - 1),
      A_(spec.attention_width()),
      H_(spec.heads),
      D_(spec.head_dim()),
      queries_(spec.q_conv && spec.kv_conv > 1) {
  if (taps_ <= 0) return;
  raw_.assign(static_cast<size_t>(3 * A_), 0.0f);
  layers_.resize(static_cast<size_t>(spec.layers));
  for (Rows& r : layers_) {
    if (queries_) r.q.assign(static_cast<size_t>(taps_ * A_), 0.0f);
    r.k.assign(static_cast<size_t>(taps_ * A_), 0.0f);
    r.v.assign(static_cast<size_t>(taps_ * A_), 0.0f);
  }
}

void ConvHistory::push(Rows& rows, const float* q, const float* k, const float* v) const {
  if (queries_) push_newest_row(rows.q, q, A_);
  push_newest_row(rows.k, k, A_);
  push_newest_row(rows.v, v, A_);
  rows.count = std::min(rows.count + 1, taps_);
}

void ConvHistory::add_prompt_layer(int64_t layer, const Tensor& q_in, const Tensor& k_in,
                                   const Tensor& v_in) {
  if (taps_ <= 0) return;
  LN_CHECK(layer >= 0 && layer < static_cast<int64_t>(layers_.size()), "[conv_history] layer ", layer,
           " is outside [0, ", layers_.size(), ")");
  LN_CHECK(k_in.ndim() == 4 && k_in.dim(0) == 1 && k_in.dim(1) == H_ && k_in.dim(3) == D_ &&
               v_in.shape() == k_in.shape() && (!queries_ || q_in.shape() == k_in.shape()),
           "[conv_history] the prompt's ", queries_ ? "q, " : "", "k, v must be (1, ", H_, ", T, ", D_,
           "), got ", shape_str(k_in.shape()));
  const int64_t T = k_in.dim(2);
  float* q = raw_.data();
  float* k = raw_.data() + A_;
  float* v = raw_.data() + 2 * A_;
  for (int64_t t = std::max<int64_t>(0, T - taps_); t < T; ++t) {  // oldest first: the newest ends in row 0
    for (int64_t h = 0; h < H_; ++h)
      for (int64_t d = 0; d < D_; ++d) {
        const int64_t at = (h * T + t) * D_ + d;
        if (queries_) q[h * D_ + d] = q_in.data()[at];
        k[h * D_ + d] = k_in.data()[at];
        v[h * D_ + d] = v_in.data()[at];
      }
    push(layers_[layer], q, k, v);
  }
}

void ConvHistory::convolve(int64_t layer, const float* q_taps, const float* k_taps, const float* v_taps,
                           float* q, float* k, float* v) {
  LN_CHECK(taps_ > 0 && layer >= 0 && layer < static_cast<int64_t>(layers_.size()), "[conv_history] layer ",
           layer, " has no convolution");
  LN_CHECK((q_taps != nullptr) == queries_, "[conv_history] the model ", queries_ ? "has" : "has no",
           " model.q_conv but the decoder was given ", q_taps ? "" : "no ", "query taps");
  Rows& rows = layers_[layer];
  float* q_raw = raw_.data();  // kept for push(), since q, k and v are overwritten
  float* k_raw = raw_.data() + A_;
  float* v_raw = raw_.data() + 2 * A_;
  if (queries_) std::copy(q, q + A_, q_raw);
  std::copy(k, k + A_, k_raw);
  std::copy(v, v + A_, v_raw);
  if (queries_) add_tapped_history(rows.q, rows.count, q_taps, q, A_);
  add_tapped_history(rows.k, rows.count, k_taps, k, A_);
  add_tapped_history(rows.v, rows.count, v_taps, v, A_);
  push(rows, q_raw, k_raw, v_raw);
}

}  // namespace ln
