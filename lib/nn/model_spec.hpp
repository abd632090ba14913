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
// How the query convolution's taps start (model.q_conv_init, DESIGN §8):
//   zero:   taps 0, the model starts as without it;
//   pair:   every head starts as an induction head that matches TWO tokens: on top of
//           kv_conv_init shifted (whose shifts then run over S = K-2, so that the key tap a+2
//           exists), in the second half of each head's channels the query tap 1 and the key
//           tap a+2 start at 1: the query holds the current token and the one before it, the
//           key at j the tokens a+1 and a+2 back, and the value the token a back, which
//           followed them;
//   triple: the same with THREE tokens (S = K-3): each head's channels in thirds, the g-th
//           third (g = 0, 1, 2) with the query taps 1..g and the key taps a+1..a+1+g, so the
//           last third matches the current token and the two before it. On natural text two
//           tokens recur by chance thousands of tokens apart (docs/retrieval.md: the ideal
//           two-token copier tops out near 72% at 8K back, the three-token one near 90%).
enum class QConvInit { zero, pair, triple };
inline constexpr EnumName<QConvInit> kQConvInitNames[] = {
    {"zero", QConvInit::zero}, {"pair", QConvInit::pair}, {"triple", QConvInit::triple}};
// How many tokens a head's start matches: 1 (zero: the shifted keys alone), 2 or 3.
inline int64_t q_conv_match_tokens(bool q_conv, QConvInit init) {
  if (!q_conv) return 1;
  return init == QConvInit::pair ? 2 : init == QConvInit::triple ? 3 : 1;
}
// The rule between model.q_conv_init and the keys it builds on (ModelSpec::validate and the
// config's check): the message, or "" when they agree.
inline std::string q_conv_init_problem(int64_t kv_conv, KvConvInit kv_init, bool q_conv, QConvInit q_init) {
  if (q_init == QConvInit::zero) return "";
  const std::string name = enum_name(kQConvInitNames, q_init);
  const std::string head = "model.q_conv_init is " + name;
  if (!q_conv)
    return head +
           " but model.q_conv is false (no query taps to start); "
           "set model.q_conv: true, or leave model.q_conv_init at zero";
  if (kv_init != KvConvInit::shifted)
    return head + " but model.kv_conv_init is not shifted (the " + name +
           " extends each head's shift); set model.kv_conv_init: shifted, or leave model.q_conv_init at zero";
  const int64_t n = q_conv_match_tokens(q_conv, q_init);
  if (kv_conv < n + 1)
    return head + " but model.kv_conv is " + std::to_string(kv_conv) + " (a " + std::to_string(n) +
           "-token key needs the taps 1 to " + std::to_string(n) + "); set model.kv_conv to " +
           std::to_string(n + 1) + " or more (4 + " + std::to_string(n) + " = " + std::to_string(n + 4) +
           " for four shifts)";
  return "";
}
// The one rule between model.q_conv and model.kv_conv (ModelSpec::validate and the config's check):
// the query convolution has kv_conv's width K, so it needs one. The message, or nullptr.
inline const char* q_conv_problem(int64_t kv_conv, bool q_conv) {
  if (!q_conv || kv_conv > 1) return nullptr;
  return "model.q_conv is true but model.kv_conv is 1 (the query convolution takes model.kv_conv's width, "
         "and 1 is none); set model.kv_conv to 4, say, or model.q_conv to false";
}

// The head width D: model.head_dim, or d_model / heads when it is 0 (ModelSpec::head_dim and the
// config's checks).
inline int64_t head_dim_of(int64_t d_model, int64_t heads, int64_t head_dim) {
  return head_dim > 0 ? head_dim : d_model / heads;
}

struct ModelSpec {
  int64_t vocab_size = 0;
  int64_t d_model = 256;    // C
  int64_t layers = 4;       // L
  int64_t heads = 4;        // H
  int64_t head_width = 0;   // model.head_dim: D, the width of each head; 0: C / H
  int64_t mlp_ratio = 4;    // MLP hidden width = mlp_ratio * C
  AttentionSpec attention;  // kind, patterns, positions
  bool subln = false;       // MAGNETO: extra LayerNorm inside attention and MLP
  bool tie_embeddings = true;
  // Width K of the short causal convolution over time on each head's keys and values (1: none;
  // DESIGN §8): key t also carries keys t-1 .. t-K+1, so a query can find content far back
  // AND read what followed it, however the dilated pattern's residues fall.
  int64_t kv_conv = 1;
  KvConvInit kv_conv_init = KvConvInit::identity;
  // The same width-K convolution on each head's queries (taps start at 0, or as q_conv_init
  // pair or triple says; DESIGN §8): query t also carries queries t-1 .. t-K+1, so an induction
  // head can match two or more tokens, not the current one alone.
  bool q_conv = false;
  QConvInit q_conv_init = QConvInit::zero;
  bool tie_qk_init = false;  // k_proj starts as a copy of q_proj (DESIGN §8)
  float dropout = 0.0f;
  float norm_eps = 1e-5f;
  float init_std = 0.02f;

  int64_t head_dim() const { return head_dim_of(d_model, heads, head_width); }
  // A = H * D, the width of the queries, keys and values (C unless model.head_dim says otherwise).
  int64_t attention_width() const { return heads * head_dim(); }
  void validate() const;  // throws ln::Error naming the model.* key
};

}  // namespace ln
