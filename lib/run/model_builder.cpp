#include "run/model_builder.hpp"

#include <sstream>
#include <type_traits>

#include "core/error.hpp"
#include "core/number_format.hpp"

namespace ln {

namespace {

std::string text_of(int64_t v) { return std::to_string(v); }
std::string text_of(bool v) { return v ? "true" : "false"; }
std::string text_of(float v) {
  std::ostringstream out;
  out << v;
  return out.str();
}
std::string text_of(const std::vector<int64_t>& v) { return format_int_list(v); }
template <typename E>
std::string text_of(E v) requires std::is_enum_v<E> {
  return to_string(v);
}

}  // namespace

std::vector<std::string> model_differences(const ModelSpec& a, const ModelSpec& b, const std::string& a_name,
                                           const std::string& b_name) {
  std::vector<std::string> out;
  auto field = [&](const char* name, const auto& x, const auto& y) {
    if (!(x == y))
      out.push_back(std::string(name) + " (" + text_of(x) + " in " + a_name + ", " + text_of(y) + " " +
                    b_name + ")");
  };
  field("model.vocab_size", a.vocab_size, b.vocab_size);
  field("model.d_model", a.d_model, b.d_model);
  field("model.layers", a.layers, b.layers);
  field("model.heads", a.heads, b.heads);
  field("model.head_dim", a.head_dim(), b.head_dim());
  field("model.mlp_ratio", a.mlp_ratio, b.mlp_ratio);
  field("model.subln", a.subln, b.subln);
  field("model.tie_embeddings", a.tie_embeddings, b.tie_embeddings);
  field("model.kv_conv", a.kv_conv, b.kv_conv);
  field("model.q_conv", a.q_conv, b.q_conv);
  field("model.norm_eps", a.norm_eps, b.norm_eps);
  field("model.init_std", a.init_std, b.init_std);
  const AttentionSpec &p = a.attention, &q = b.attention;
  field("attention.kind", p.kind, q.kind);
  field("attention.segments", p.segments, q.segments);
  field("attention.dilations", p.dilations, q.dilations);
  field("attention.head_offset", p.head_offset, q.head_offset);
  field("attention.causal", p.causal, q.causal);
  field("attention.dense_queries", p.dense_queries, q.dense_queries);
  field("attention.sparse_block", p.sparse_block, q.sparse_block);
  field("attention.sparse_summary", p.sparse_summary, q.sparse_summary);
  field("model.positions", p.positions, q.positions);
  field("model.rope_base", p.rope_base, q.rope_base);
  field("model.xpos_gamma", p.xpos_gamma, q.xpos_gamma);
  field("model.xpos_scale_base", p.xpos_scale_base, q.xpos_scale_base);
  return out;
}

ModelSpec model_spec_from_config(const Config& config, int64_t tokenizer_vocab_size) {
  const ModelConfig& m = config.model;
  ModelSpec spec;
  spec.vocab_size = m.vocab_size > 0 ? m.vocab_size : tokenizer_vocab_size;
  LN_CHECK(spec.vocab_size >= tokenizer_vocab_size, "model.vocab_size (", m.vocab_size,
           ") is smaller than the tokenizer's vocabulary (", tokenizer_vocab_size,
           "); set it to 0 to use the tokenizer's");
  spec.d_model = m.d_model;
  spec.layers = m.layers;
  spec.heads = m.heads;
  spec.head_width = m.head_dim;
  spec.mlp_ratio = m.mlp_ratio;
  spec.subln = m.subln;
  spec.tie_embeddings = m.tie_embeddings;
  spec.kv_conv = m.kv_conv;
  spec.kv_conv_init = m.kv_conv_init;
  spec.q_conv = m.q_conv;
  spec.q_conv_init = m.q_conv_init;
  spec.tie_qk_init = m.tie_qk_init;
  spec.dropout = static_cast<float>(m.dropout);
  spec.norm_eps = static_cast<float>(m.norm_eps);
  spec.init_std = static_cast<float>(m.init_std);

  spec.attention = attention_spec_from_config(config);
  spec.validate();
  return spec;
}

}  // namespace ln
