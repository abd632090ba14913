#pragma once
// Decoding's memory for model.kv_conv (DESIGN §8): the short causal convolution mixes key t
// with the raw keys t-1 .. t-K+1 (values likewise), so generating one token needs, per layer,
// the K-1 newest raw k and v rows. Filled by the prompt pass, then one row per decoded token.
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"
#include "nn/model_spec.hpp"

namespace ln {

class ConvHistory {
 public:
  explicit ConvHistory(const ModelSpec& spec);

  // The prompt pass: layer `layer`'s convolution inputs k_in, v_in: (1, H, T, D) of positions
  // [0, T). Keeps the last K-1 positions.
  void add_prompt_layer(int64_t layer, const Tensor& k_in, const Tensor& v_in);
  // One new token of layer `layer`: k, v: (H, D) = C raw projections, replaced in place by
  // the convolution's outputs (taps: (K-1, C) each, as ops/causal_conv.hpp); the raw rows are
  // remembered for the next tokens.
  void convolve(int64_t layer, const float* k_taps, const float* v_taps, float* k, float* v);

 private:
  struct Rows {
    std::vector<float> k, v;  // (K-1, C) each, row 0 the newest
    int64_t count = 0;        // rows held (< K-1 near the start of the text)
  };
  void push(Rows& rows, const float* k, const float* v) const;
  int64_t taps_ = 0, C_ = 0, H_ = 0, D_ = 0;
  std::vector<Rows> layers_;
  std::vector<float> raw_;  // (2, C): a token's raw k and v while they are convolved in place
};

}  // namespace ln
