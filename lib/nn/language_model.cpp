#include "nn/language_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "autograd/var.hpp"
#include "core/error.hpp"
#include "nn/init.hpp"
#include "ops/head_loss.hpp"
#include "ops/linear.hpp"
#include "ops/shape.hpp"

namespace ln {

namespace {

enum class ConvRole { query, key, value };

// The convolution taps' start (model.kv_conv_init, model.q_conv_init; nn/model_spec.hpp). Taps
// (K-1, A), row s-1 the tap s back. shifted: head h (channels h*D .. h*D+D-1) takes the shift
// a = floor(h / S) mod S, S = K-n for a start that matches n tokens (1; 2 with pair, 3 with
// triple); its values get 1 at tap a (none for a = 0: the centre tap is fixed at 1). Its
// channels split into n groups; in group g (g = 0..n-1) the keys get 1 at the taps a+1..a+1+g
// and the queries at the taps 1..g (the centre holds the current token).
void start_conv_taps(Tensor taps, const ModelSpec& spec, ConvRole role) {
  taps.fill(0.0f);
  if (role != ConvRole::query && spec.kv_conv_init == KvConvInit::box) taps.fill(1.0f);
  if (spec.kv_conv_init != KvConvInit::shifted) return;
  const int64_t n = q_conv_match_tokens(spec.q_conv, spec.q_conv_init);
  if (role == ConvRole::query && n == 1) return;
  const int64_t S = spec.kv_conv - n, D = spec.head_dim(), A = spec.attention_width();
  auto set = [&](int64_t tap, int64_t h, int64_t from, int64_t to) {
    if (tap == 0) return;
    float* row = taps.data() + (tap - 1) * A + h * D;
    std::fill(row + from, row + to, 1.0f);
  };
  for (int64_t h = 0; h < spec.heads; ++h) {
    const int64_t a = (h / S) % S;
    if (role == ConvRole::value) set(a, h, 0, D);
    for (int64_t g = 0; g < n; ++g) {
      const int64_t from = g * D / n, to = (g + 1) * D / n;
      for (int64_t s = 1; s <= g; ++s)
        if (role == ConvRole::query) set(s, h, from, to);
      for (int64_t s = a + 1; s <= a + 1 + g; ++s)
        if (role == ConvRole::key) set(s, h, from, to);
    }
  }
}

}  // namespace

LanguageModel::LanguageModel(const ModelSpec& spec, uint64_t seed)
    : spec_((spec.validate(), spec)),  // validate before allocating anything
      tok_embeddings_(spec.vocab_size, spec.d_model),
      norm_(spec.d_model, spec.norm_eps) {
  for (int64_t l = 0; l < spec.layers; ++l) layers_.emplace_back(spec_, l);
  if (!spec.tie_embeddings) output_ = Linear(spec.d_model, spec.vocab_size, false);

  const double std = spec.init_std;
  const double residual_std = spec.subln ? std : std / std::sqrt(2.0 * spec.layers);
  const double magneto = spec.subln ? std::sqrt(std::log(2.0 * spec.layers)) : 1.0;
  for (auto& [name, var] : parameters()) {
    if (var.ndim() != 2) continue;                         // biases stay 0, norm weights 1
    auto ends_with = [&name = name](const char* suffix) {  // (clang < 16 cannot capture a binding)
      return name.size() >= std::strlen(suffix) &&
             name.compare(name.size() - std::strlen(suffix), std::string::npos, suffix) == 0;
    };
    if (ends_with("_conv.taps")) {  // model.kv_conv_init, model.q_conv_init (nn/model_spec.hpp)
      const ConvRole role = ends_with("q_conv.taps")   ? ConvRole::query
                            : ends_with("k_conv.taps") ? ConvRole::key
                                                       : ConvRole::value;
      start_conv_taps(var.value(), spec, role);
      continue;
    }
    const bool residual = ends_with("out_proj.weight") || ends_with("fc2.weight");
    const bool scaled = spec.subln && (residual || ends_with("v_proj.weight") || ends_with("fc1.weight"));
    init_normal(var.value(), (residual ? residual_std : std) * (scaled ? magneto : 1.0), seed, name);
  }
  // Tied q/k init: every head's score starts as q_i . k_j = a_i W W^T a_j, largest where the
  // two positions hold the same content: attention starts out matching tokens, the first step of
  // the copy circuit (DESIGN §8). Only the start is tied; the two train apart.
  if (spec.tie_qk_init)
    for (auto& layer : layers_) {
      const Tensor q = layer.attn.q_proj.weight.value();
      Tensor k = layer.attn.k_proj.weight.value();
      std::memcpy(k.data(), q.data(), sizeof(float) * static_cast<size_t>(q.numel()));
    }
}

Var LanguageModel::hidden(const std::vector<int32_t>& ids, int64_t B, int64_t T,
                          const ForwardOptions& options) const {
  LN_CHECK(B > 0 && T > 0 && static_cast<int64_t>(ids.size()) == B * T, "[language_model] got ", ids.size(),
           " token ids for a batch of ", B, " x ", T);
  Var x = tok_embeddings_(ids, {B, T});
  for (const auto& layer : layers_) x = layer(x, options);
  return norm_(x);
}

Var LanguageModel::logits(const std::vector<int32_t>& ids, int64_t B, int64_t T,
                          const ForwardOptions& options) const {
  Var h = reshape(hidden(ids, B, T, options), {B * T, spec_.d_model});
  return spec_.tie_embeddings ? linear(h, tok_embeddings_.weight) : output_(h);
}

Var LanguageModel::loss(const std::vector<int32_t>& ids, const std::vector<int32_t>& targets, int64_t B,
                        int64_t T, const ForwardOptions& options, int32_t ignore_index) const {
  LN_CHECK(static_cast<int64_t>(targets.size()) == B * T, "[language_model] got ", targets.size(),
           " targets for a batch of ", B, " x ", T);
  Var h = reshape(hidden(ids, B, T, options), {B * T, spec_.d_model});
  PrecisionScope precision(options.precision);
  return head_cross_entropy(h, head_weight(), targets, ignore_index);
}

Tensor LanguageModel::token_losses(const std::vector<int32_t>& ids, const std::vector<int32_t>& targets,
                                   int64_t B, int64_t T, const ForwardOptions& options,
                                   int32_t ignore_index) const {
  LN_CHECK(static_cast<int64_t>(targets.size()) == B * T, "[language_model] got ", targets.size(),
           " targets for a batch of ", B, " x ", T);
  NoGradGuard no_grad;
  Tensor h = hidden(ids, B, T, options).value().reshape({B * T, spec_.d_model});
  PrecisionScope precision(options.precision);
  return head_token_losses(h, head_weight().value(), targets, ignore_index);
}

HeadScores LanguageModel::token_scores(const std::vector<int32_t>& ids, const std::vector<int32_t>& targets,
                                       int64_t B, int64_t T, const ForwardOptions& options,
                                       int32_t ignore_index) const {
  LN_CHECK(static_cast<int64_t>(targets.size()) == B * T, "[language_model] got ", targets.size(),
           " targets for a batch of ", B, " x ", T);
  NoGradGuard no_grad;
  Tensor h = hidden(ids, B, T, options).value().reshape({B * T, spec_.d_model});
  PrecisionScope precision(options.precision);
  return head_token_scores(h, head_weight().value(), targets, ignore_index);
}

NamedParameters LanguageModel::parameters() const {
  NamedParameters out;
  tok_embeddings_.parameters("tok_embeddings", out);
  for (size_t l = 0; l < layers_.size(); ++l) layers_[l].parameters("layers." + std::to_string(l), out);
  norm_.parameters("norm", out);
  if (!spec_.tie_embeddings) output_.parameters("output", out);
  return out;
}

int64_t LanguageModel::parameter_count() const {
  int64_t n = 0;
  for (const auto& [name, var] : parameters()) n += var.numel();
  return n;
}

int64_t LanguageModel::count_parameters(const ModelSpec& spec) {
  const int64_t C = spec.d_model, F = spec.mlp_ratio * spec.d_model, A = spec.attention_width();
  int64_t per_layer = 2 * (2 * C)                      // attn_norm, mlp_norm
                      + 3 * (C * A + A) + (A * C + C)  // q, k, v projections; out projection
                      + (C * F + F) + (F * C + C);     // fc1, fc2
  if (spec.subln) per_layer += 2 * A + 2 * F;          // inner norms
  // Convolution taps: k and v with model.kv_conv, and q with model.q_conv.
  per_layer += (spec.q_conv ? 3 : 2) * (spec.kv_conv - 1) * A;
  int64_t total = spec.vocab_size * C + spec.layers * per_layer + 2 * C;
  if (!spec.tie_embeddings) total += spec.vocab_size * C;
  return total;
}

std::vector<std::pair<std::string, Tensor>> LanguageModel::named_tensors() const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& [name, var] : parameters()) out.emplace_back(name, var.value());
  return out;
}

void LanguageModel::load_parameters(const std::vector<std::pair<std::string, Tensor>>& tensors,
                                    const std::string& source) {
  std::map<std::string, const Tensor*> by_name;
  for (const auto& [name, tensor] : tensors) by_name[name] = &tensor;
  for (auto& [name, var] : parameters()) {
    auto it = by_name.find(name);
    LN_CHECK(it != by_name.end(), "[load] ", source, " has no tensor '", name,
             "'; was it written for a different model configuration?");
    const Tensor& src = *it->second;
    LN_CHECK(src.shape() == var.shape(), "[load] ", source, ": '", name, "' has shape ",
             shape_str(src.shape()), " but the model expects ", shape_str(var.shape()));
    Tensor f32 = src.to(Precision::fp32);
    std::memcpy(var.value().data(), f32.data(), f32.bytes());
    by_name.erase(it);
  }
  LN_CHECK(by_name.empty(), "[load] ", source, " has a tensor the model does not use: '",
           by_name.begin()->first, "'");
}

void ModelSpec::validate() const {
  LN_CHECK(vocab_size >= 2, "model.vocab_size must be at least 2, got ", vocab_size);
  LN_CHECK(d_model >= 1 && heads >= 1, "model.d_model (", d_model, ") and model.heads (", heads,
           ") must be positive");
  LN_CHECK(head_width >= 0, "model.head_dim must be 0 (d_model / heads) or positive, got ", head_width);
  LN_CHECK(head_width > 0 || d_model % heads == 0, "model.d_model (", d_model,
           ") must be a multiple of model.heads (", heads, "), or model.head_dim set");
  LN_CHECK(layers >= 1, "model.layers must be at least 1, got ", layers);
  LN_CHECK(mlp_ratio >= 1, "model.mlp_ratio must be at least 1, got ", mlp_ratio);
  LN_CHECK(dropout >= 0.0f && dropout < 1.0f, "model.dropout must be in [0, 1), got ", dropout);
  LN_CHECK(kv_conv >= 1 && kv_conv <= 64, "model.kv_conv must be in [1, 64], got ", kv_conv);
  const char* conv_problem = kv_conv_init_problem(kv_conv, kv_conv_init);
  LN_CHECK(conv_problem == nullptr, conv_problem);
  const char* q_problem = q_conv_problem(kv_conv, q_conv);
  LN_CHECK(q_problem == nullptr, q_problem);
  const std::string start_problem = q_conv_init_problem(kv_conv, kv_conv_init, q_conv, q_conv_init);
  LN_CHECK(start_problem.empty(), start_problem);
  validate_attention_spec(attention, heads, head_dim());
}

}  // namespace ln
