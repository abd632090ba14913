#pragma once
// Incremental decoding: the model side of generation. lib/generate owns the KV cache and
// implements DecodeAttention; the model runs everything else (norms, projections, MLP, head)
// with the same ops as the parallel forward, one token at a time.
#include <cstdint>

namespace ln {

class ConvHistory;  // nn/conv_history.hpp

class DecodeAttention {
 public:
  virtual ~DecodeAttention() = default;
  // The attention output of one new token at global `position` in layer `layer`:
  // q, k, v: (H, D), before positions are applied (RoPE/XPOS are the cache's business, as they
  // are the attention op's in the forward) -> o: (H, D). Adds the token's k, v to the cache.
  virtual void attend(int64_t layer, int64_t position, const float* q, const float* k, const float* v,
                      float* o) = 0;
  // The raw q, k, v rows model.kv_conv's convolution reads (DESIGN §8); null for a cache that
  // does not keep them (then a model with kv_conv > 1 cannot decode with it).
  virtual ConvHistory* conv_history() { return nullptr; }
};

}  // namespace ln
