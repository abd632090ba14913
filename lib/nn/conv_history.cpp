#include "nn/conv_history.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace ln {

ConvHistory::ConvHistory(const ModelSpec& spec)
    : taps_(spec.kv_conv - 1), C_(spec.d_model), H_(spec.heads), D_(spec.head_dim()) {
  if (taps_ <= 0) return;
  raw_.assign(static_cast<size_t>(2 * C_), 0.0f);
  layers_.resize(static_cast<size_t>(spec.layers));
  for (Rows& r : layers_) {
    r.k.assign(static_cast<size_t>(taps_ * C_), 0.0f);
    r.v.assign(static_cast<size_t>(taps_ * C_), 0.0f);
  }
}

void ConvHistory::push(Rows& rows, const float* k, const float* v) const {
  // Shift rows 0 .. K-3 down by one (K is small: a few C-float rows) and put the newest first.
  std::copy_backward(rows.k.begin(), rows.k.end() - C_, rows.k.end());
  std::copy_backward(rows.v.begin(), rows.v.end() - C_, rows.v.end());
  std::copy(k, k + C_, rows.k.begin());
  std::copy(v, v + C_, rows.v.begin());
  rows.count = std::min(rows.count + 1, taps_);
}

void ConvHistory::add_prompt_layer(int64_t layer, const Tensor& k_in, const Tensor& v_in) {
  if (taps_ <= 0) return;
  LN_CHECK(layer >= 0 && layer < static_cast<int64_t>(layers_.size()), "[conv_history] layer ", layer,
           " is outside [0, ", layers_.size(), ")");
  LN_CHECK(k_in.ndim() == 4 && k_in.dim(0) == 1 && k_in.dim(1) == H_ && k_in.dim(3) == D_ &&
               v_in.shape() == k_in.shape(),
           "[conv_history] the prompt's k, v must be (1, ", H_, ", T, ", D_, "), got ",
           shape_str(k_in.shape()));
  const int64_t T = k_in.dim(2);
  float* k = raw_.data();
  float* v = raw_.data() + C_;
  for (int64_t t = std::max<int64_t>(0, T - taps_); t < T; ++t) {  // oldest first: the newest ends in row 0
    for (int64_t h = 0; h < H_; ++h)
      for (int64_t d = 0; d < D_; ++d) {
        k[h * D_ + d] = k_in.data()[(h * T + t) * D_ + d];
        v[h * D_ + d] = v_in.data()[(h * T + t) * D_ + d];
      }
    push(layers_[layer], k, v);
  }
}

void ConvHistory::convolve(int64_t layer, const float* k_taps, const float* v_taps, float* k, float* v) {
  LN_CHECK(taps_ > 0 && layer >= 0 && layer < static_cast<int64_t>(layers_.size()), "[conv_history] layer ",
           layer, " has no convolution");
  Rows& rows = layers_[layer];
  float* k_raw = raw_.data();  // kept for push(), since k and v are overwritten
  float* v_raw = raw_.data() + C_;
  std::copy(k, k + C_, k_raw);
  std::copy(v, v + C_, v_raw);
  // The forward kernel's order: the token itself, then taps s = 1, 2, ... (row s-1 = t-s).
  for (int64_t s = 1; s <= rows.count; ++s) {
    const float* kp = rows.k.data() + (s - 1) * C_;
    const float* vp = rows.v.data() + (s - 1) * C_;
    const float* wk = k_taps + (s - 1) * C_;
    const float* wv = v_taps + (s - 1) * C_;
    for (int64_t c = 0; c < C_; ++c) {
      k[c] += wk[c] * kp[c];
      v[c] += wv[c] * vp[c];
    }
  }
  push(rows, k_raw, v_raw);
}

}  // namespace ln
