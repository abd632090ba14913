#pragma once
// Decoding's memory for model.kv_conv (DESIGN §8): the short causal convolution mixes key t
// with the raw keys t-1 .. t-K+1 (values likewise, and queries with model.q_conv), so
// generating one token needs, per layer, the K-1 newest raw k and v rows (and q rows). Filled
// by the prompt pass, then one row per decoded token.
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"
#include "nn/model_spec.hpp"

namespace ln {

class ConvHistory {
 public:
  explicit ConvHistory(const ModelSpec& spec);

  // The prompt pass: layer `layer`'s convolution inputs q_in, k_in, v_in: (1, H, T, D) of
  // positions [0, T) (q_in is read only with model.q_conv). Keeps the last K-1 positions.
  void add_prompt_layer(int64_t layer, const Tensor& q_in, const Tensor& k_in, const Tensor& v_in);
  // One new token of layer `layer`: q, k, v: (H, D) = A raw projections, replaced in place by
  // the convolution's outputs (taps: (K-1, A) each, as ops/causal_conv.hpp; q_taps null, and q
  // left as it is, exactly when the model has no model.q_conv); the raw rows are remembered for
  // the next tokens.
  void convolve(int64_t layer, const float* q_taps, const float* k_taps, const float* v_taps, float* q,
                float* k, float* v);

 private:
  struct Rows {
    std::vector<float> q, k, v;  // (K-1, A) each, row 0 the newest; q empty without model.q_conv
    int64_t count = 0;           // rows held (< K-1 near the start of the text)
  };
  void push(Rows& rows, const float* q, const float* k, const float* v) const;
  int64_t taps_ = 0, A_ = 0, H_ = 0, D_ = 0;  // A = H * D, the attention width
  bool queries_ = false;                      // model.q_conv
  std::vector<Rows> layers_;
  std::vector<float> raw_;  // (3, A): a token's raw q, k and v while they are convolved in place
};

}  // namespace ln
