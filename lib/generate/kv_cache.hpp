#pragma once
// The KV cache of generation (DESIGN §3): what causal attention at the next position can still
// read, per layer, for each attention kind, and the one-token attention against it.
//
// kind dilated: per pattern (w, r) and head h, a segment buffer of the keys s + g(h) + j*r
//   (j = 0, 1, ...) of the current segment [s, s + w), reset when a new segment starts. A
//   token at in-segment offset p takes part in pattern (w, r) iff p mod r == g(h), and then
//   reads the whole buffer: at most w/r keys per pattern, Σ_p w_p / r_p per head whatever the
//   text length. Memory: Σ_p ceil(w_p / r_p) keys and values per head and layer.
// kind dense: the single pattern (N, 1): every earlier key, O(t) per token.
// kind sparse (Child et al.): its own block, the pattern (l, 1), plus the summary columns (the
//   last c positions) of every earlier block, kept in a growing list.
//
// Keys are stored rotated (RoPE / XPOS rotation at their global position) and, with XPOS,
// multiplied by the pattern's key decay factors; the query gets the query factors. The factors
// are the kernels' (kernels/attention/positions.hpp, dilated_attention.cpp, sparse_attention.cpp): per
// pattern, measured from the centre of its segment w' = min(w, N); for dense and sparse's
// summary columns from the sequence middle N/2. N is the cache's capacity: the centres cancel
// in the product, so any N >= the positions used gives the same attention, and with N equal to
// the full forward's length the factors are the very same floats.
//
// Precision (Precision, the attention kernel's; Generator passes the one of
// --precision): fp32 stores and multiplies fp32. bf16 stores keys (after rotation and decay)
// and values as bf16 (half the bytes) and rounds at the points the kernel's bf16 mode rounds
// (kernels/attention/attention_kernel.hpp): the decayed query, and the probabilities P before
// P.V; the products are exact in fp32 and accumulate in fp32 (q.k with vdpbf16ps where the
// kernel uses it, attention_bf16_dot_name(); else fp32 FMAs), softmax statistics and outputs
// stay fp32. So decoding computes the bf16 forward's function (bit-identical in the tests with
// RoPE). With XPOS the rounded operands are decayed ones, so there the centres above no longer
// cancel exactly: a bf16 prompt pass over P < N tokens (centred on P) and a cache of capacity
// N differ at bf16's rounding level (tests/generate/test_generator_bf16.cpp).
#include <cstdint>
#include <vector>

#include "core/bf16.hpp"
#include "core/tensor.hpp"
#include "kernels/attention/attention_kernel.hpp"
#include "nn/conv_history.hpp"
#include "nn/decode.hpp"
#include "nn/model_spec.hpp"

namespace ln {

class KvCache : public DecodeAttention {
 public:
  // capacity: the most positions this cache will hold (prompt + generated tokens); it fixes the
  // segment lengths w' = min(w, capacity), XPOS's centres and the buffer sizes.
  KvCache(const ModelSpec& spec, int64_t capacity, Precision precision = Precision::fp32);

  // The prompt pass: layer `layer`'s k, v: (1, H, T, D) of positions [0, T), before positions
  // (what ForwardOptions::kv_observer receives). Keeps what position T onwards can read.
  void add_prompt_layer(int64_t layer, const Tensor& k, const Tensor& v);
  // DecodeAttention: the token at `position` (the next one: == length of the layer's cache).
  void attend(int64_t layer, int64_t position, const float* q, const float* k, const float* v,
              float* o) override;

  int64_t capacity() const { return capacity_; }
  Precision precision() const { return precision_; }
  // Positions the cache has seen (those of the last layer filled).
  int64_t length() const { return next_.empty() ? 0 : next_.back(); }
  // Bytes of key/value storage held (all layers).
  int64_t bytes() const;
  // (query, key) dot products computed by attend() so far, over all layers and heads.
  int64_t keys_read() const { return keys_read_; }
  // model.kv_conv's raw rows (nn/conv_history.hpp); empty for a model without it.
  ConvHistory* conv_history() override { return &conv_history_; }

 private:
  // Key (decayed) and value rows in the cache's precision: keys/values (fp32) or
  // keys16/values16 (bf16); the other pair stays empty.
  struct Rows {
    std::vector<float> keys, values;
    std::vector<bf16> keys16, values16;
    void resize(int64_t n, Precision precision);
    int64_t bytes() const;
    // Row i <- (k * kf, v), D each.
    void store(int64_t i, int64_t D, const float* k, const float* kf, const float* v);
  };
  // One pattern's buffer of one layer: keys (decayed) and values of each head, (H, rows, D).
  struct SegmentBuffer : Rows {
    int64_t w = 0, r = 1, rows = 0;
    std::vector<int64_t> count, start;  // per head: keys held, and the segment they belong to
  };
  // Sparse's summary columns of one layer: (H, rows, D), all heads with the same count.
  struct SummaryBuffer : Rows {
    int64_t rows = 0, count = 0;
  };
  struct Layer {
    std::vector<SegmentBuffer> patterns;
    SummaryBuffer summary;
  };
  struct Pattern {
    int64_t w = 0, r = 1;
  };

  // XPOS decay factors (D) of a query (keys = false) or key at in-window offset `offset` of a
  // window centred at `centre`; all ones without XPOS.
  void decay(float* out, int64_t offset, double centre, bool keys) const;
  int64_t offset_of(int64_t h, int64_t r) const;
  // Appends rotated key `k` (times its decay factors kf) and value `v` (D each) at global
  // position m to head h's part of a pattern buffer, if m is on the head's grid (returns whether).
  bool push(SegmentBuffer& buf, int64_t h, int64_t m, const float* k, const float* kf, const float* v);
  bool in_summary(int64_t m) const;
  // Appends the summary column at position m of every head: k (rotated), v rows h*head_stride.
  void push_summary(SummaryBuffer& S, int64_t m, const float* k, const float* v, int64_t head_stride);

  ModelSpec spec_;
  int64_t capacity_ = 0, H_ = 0, D_ = 0;
  Precision precision_ = Precision::fp32;
  std::vector<Pattern> patterns_;  // the dilated patterns (dense: (capacity, 1); sparse: (l, 1))
  std::vector<Layer> layers_;
  std::vector<int64_t> next_;  // per layer: the next position
  int64_t keys_read_ = 0;
  ConvHistory conv_history_;
};

}  // namespace ln
