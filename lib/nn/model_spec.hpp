#pragma once
// The shape of a LongNet language model, independent of how it was configured (YAML, a
// checkpoint's state.json, or a test). lib/run (model_builder.hpp) builds it from the config.
#include <cstdint>
#include <string>

#include "core/enum_names.hpp"
#include "kernels/attention/attention_spec.hpp"

namespace ln {

// How the key/value convolution's taps start (model.kv_conv_init, DESIGN §8):
//   identity: taps 0, the model starts as without the convolution;
//   box:      taps 1, each key and value starts as the sum of itself and the K-1 before it, so
//             that from the first step a query matching a token also matches the K-1 keys after
//             it, whatever residue a dilated pattern leaves them at;
//   shifted:  with S = K-1, head h takes the shift a = floor(h / S) mod S: its key tap a+1 and
//             its value tap a start at 1 (a = 0: the value is the fixed centre alone), the rest
//             at 0. With tied q/k each head then starts as an induction head that reads, at key
//             j, the token a+1 back and answers with the token a back. In a pattern of dilation
//             r dividing S, a query of residue c is served by the heads h ≡ c (mod r) (head
//             offsets mod), whose shifts cover every residue of the copy distance when H >= S r.
enum class KvConvInit { identity, box, shifted };
inline constexpr EnumName<KvConvInit> kKvConvInitNames[] = {
    {"identity", KvConvInit::identity}, {"box", KvConvInit::box}, {"shifted", KvConvInit::shifted}};
// The one rule between model.kv_conv and model.kv_conv_init (ModelSpec::validate and the config's
// check, which adds the file and line): the message, or nullptr when they agree.
inline const char* kv_conv_init_problem(int64_t kv_conv, KvConvInit init) {
  if (kv_conv > 1 || init == KvConvInit::identity) return nullptr;
  return init == KvConvInit::box
             ? "model.kv_conv_init is box but model.kv_conv is 1 (no convolution, no taps to start at 1); "
               "set model.kv_conv to 4, say, or leave model.kv_conv_init at identity"
             : "model.kv_conv_init is shifted but model.kv_conv is 1 (no convolution, no taps to shift); "
               "set model.kv_conv to 5, say, or leave model.kv_conv_init at identity";
}
// The one rule between model.q_conv and model.kv_conv (ModelSpec::validate and the config's check):
// the query convolution has kv_conv's width K, so it needs one. The message, or nullptr.
inline const char* q_conv_problem(int64_t kv_conv, bool q_conv) {
  if (!q_conv || kv_conv > 1) return nullptr;
  return "model.q_conv is true but model.kv_conv is 1 (the query convolution takes model.kv_conv's width, "
         "and 1 is none); set model.kv_conv to 4, say, or model.q_conv to false";
}

struct ModelSpec {
  int64_t vocab_size = 0;
  int64_t d_model = 256;    // C
  int64_t layers = 4;       // L
  int64_t heads = 4;        // H; head dim D = C / H
  int64_t mlp_ratio = 4;    // MLP hidden width = mlp_ratio * C
  AttentionSpec attention;  // kind, patterns, positions
  bool subln = false;       // MAGNETO: extra LayerNorm inside attention and MLP
  bool tie_embeddings = true;
  // Width K of the short causal convolution over time on each head's keys and values (1: none;
  // DESIGN §8): key t also carries keys t-1 .. t-K+1, so a query can find content far back
  // AND read what followed it, however the dilated pattern's residues fall.
  int64_t kv_conv = 1;
  KvConvInit kv_conv_init = KvConvInit::identity;
  // The same width-K convolution on each head's queries (taps always start at 0, whatever
  // kv_conv_init says; DESIGN §8): query t also carries queries t-1 .. t-K+1, so an induction
  // head can match two or more tokens, not the current one alone.
  bool q_conv = false;
  bool tie_qk_init = false;  // k_proj starts as a copy of q_proj (DESIGN §8)
  float dropout = 0.0f;
  float norm_eps = 1e-5f;
  float init_std = 0.02f;

  int64_t head_dim() const { return d_model / heads; }
  void validate() const;  // throws ln::Error naming the model.* key
};

}  // namespace ln
