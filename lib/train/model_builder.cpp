#include "train/model_builder.hpp"

#include "core/error.hpp"

namespace ln {

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
  spec.mlp_ratio = m.mlp_ratio;
  spec.subln = m.subln;
  spec.tie_embeddings = m.tie_embeddings;
  spec.dropout = static_cast<float>(m.dropout);
  spec.norm_eps = static_cast<float>(m.norm_eps);
  spec.init_std = static_cast<float>(m.init_std);

  const AttentionConfig& a = config.attention;
  AttentionSpec& att = spec.attention;
  att.kind = parse_attention_kind(a.kind);
  att.segments = a.segments;
  att.dilations = a.dilations;
  att.head_offset = parse_head_offset(a.head_offset);
  att.causal = a.causal;
  att.sparse_block = a.sparse_block;
  att.sparse_summary = a.sparse_summary;
  att.positions = parse_position_kind(m.positions);
  att.rope_base = static_cast<float>(m.rope_base);
  att.xpos_gamma = static_cast<float>(m.xpos_gamma);
  att.xpos_scale_base = static_cast<float>(m.xpos_scale_base);
  spec.validate();
  return spec;
}

}  // namespace ln
