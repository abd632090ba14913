// The decode path of the model (generation): one token through every block, the attention
// handed to a DecodeAttention (lib/generate's KV cache), and the prompt pass that returns only
// the last position's logits. The computation is the forward's (transformer_block.cpp,
// language_model.cpp) with T = 1: same ops, same order.
#include "nn/decode.hpp"

#include <cstring>

#include "autograd/var.hpp"
#include "core/error.hpp"
#include "nn/conv_history.hpp"
#include "nn/language_model.hpp"
#include "nn/transformer_block.hpp"
#include "ops/elementwise.hpp"
#include "ops/linear.hpp"
#include "ops/shape.hpp"

namespace ln {

Var SelfAttention::decode(const Var& x, int64_t layer, int64_t position, DecodeAttention& attend) const {
  // x: (1, 1, C); with B = T = 1 the (B, T, H, D) layout of the projections is just (H, D),
  // H * D = A (the attention width, model.head_dim).
  Var q = q_proj(x), k = k_proj(x), v = v_proj(x);
  const int64_t A = q.dim(2);
  if (k_conv.defined()) {  // fresh tensors, no graph (NoGradGuard): convolved in place
    ConvHistory* history = attend.conv_history();
    LN_CHECK(history,
             "[decode] this model has model.kv_conv > 1 but the decoder keeps no convolution history");
    history->convolve(layer, q_conv.defined() ? q_conv.value().data() : nullptr, k_conv.value().data(),
                      v_conv.value().data(), q.value().data(), k.value().data(), v.value().data());
  }
  Tensor o = Tensor::empty({1, 1, A});
  attend.attend(layer, position, q.value().data(), k.value().data(), v.value().data(), o.data());
  Var merged(o);
  if (subln_) merged = inner_norm(merged);
  return out_proj(merged);
}

Var TransformerBlock::decode(const Var& x, int64_t position, DecodeAttention& attend) const {
  Var h = add(x, attn.decode(attn_norm(x), index_, position, attend));
  return add(h, mlp(mlp_norm(h)));
}

Tensor LanguageModel::prefill(const std::vector<int32_t>& ids, const ForwardOptions& options) const {
  NoGradGuard no_grad;
  const int64_t T = static_cast<int64_t>(ids.size());
  LN_CHECK(T > 0, "[language_model] prefill needs at least one token");
  Var h = hidden(ids, 1, T, options);  // (1, T, C)
  const int64_t C = spec_.d_model;
  Tensor last = Tensor::empty({1, C});
  std::memcpy(last.data(), h.value().data() + (T - 1) * C, sizeof(float) * static_cast<size_t>(C));
  Var x(last);
  Var logits = spec_.tie_embeddings ? linear(x, tok_embeddings_.weight) : output_(x);
  return logits.value().reshape({spec_.vocab_size});
}

Tensor LanguageModel::decode_step(int32_t id, int64_t position, DecodeAttention& attend) const {
  NoGradGuard no_grad;
  LN_CHECK(id >= 0 && id < spec_.vocab_size, "[language_model] token id ", id,
           " is outside the vocabulary [0, ", spec_.vocab_size, ")");
  Var x = tok_embeddings_({id}, {1, 1});
  for (const auto& layer : layers_) x = layer.decode(x, position, attend);
  Var h = reshape(norm_(x), {1, spec_.d_model});
  Var logits = spec_.tie_embeddings ? linear(h, tok_embeddings_.weight) : output_(h);
  return logits.value().reshape({spec_.vocab_size});
}

}  // namespace ln
