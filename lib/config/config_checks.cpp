// validate_config: every check that involves more than one key (or a value the schema's range
// cannot express), run once at config load, so that a config `longnet config` accepts also builds
// a model and trains. The attention rules are not repeated here: attention_spec_problem
// (kernels/attention/attention_spec.hpp) is the one list, and this file points its answer at the
// config's file:line. The trainer and tokenizer keep their own checks for callers that do not
// come through a config; the others here mirror them (lib/train/batch_plan.cpp,
// lib/data/tokenizer.cpp).
#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "config/config.hpp"
#include "config/value_text.hpp"
#include "core/error.hpp"

namespace ln {

namespace {

// Where to point for a problem involving `keys`: the first of them the user set (its file:line
// or --set), else the config as a whole.
template <class Keys>
std::string at_keys(const Config& c, const Keys& keys) {
  for (const auto& key : keys) {
    auto it = c.origin.find(key);
    if (it != c.origin.end()) return it->second + ": ";
  }
  return "config " + c.source + ": ";
}
std::string at(const Config& c, std::initializer_list<const char*> keys) { return at_keys(c, keys); }

void check_model(const Config& c) {
  const ModelConfig& m = c.model;
  LN_CHECK(m.head_dim > 0 || m.d_model % m.heads == 0,
           at(c, {"model.heads", "model.d_model", "model.head_dim"}), "model.d_model (", m.d_model,
           ") must be a multiple of model.heads (", m.heads, "); change one of them, or set model.head_dim");
  LN_CHECK(
      m.vocab_size != 1, at(c, {"model.vocab_size"}),
      "model.vocab_size is 1; a language model needs at least 2 tokens (use 0 for the tokenizer's size)");
  const char* conv_problem = kv_conv_init_problem(m.kv_conv, m.kv_conv_init);
  LN_CHECK(conv_problem == nullptr, at(c, {"model.kv_conv_init", "model.kv_conv"}), conv_problem);
  const char* q_problem = q_conv_problem(m.kv_conv, m.q_conv);
  LN_CHECK(q_problem == nullptr, at(c, {"model.q_conv", "model.kv_conv"}), q_problem);
  const std::string start_problem = q_conv_init_problem(m.kv_conv, m.kv_conv_init, m.q_conv, m.q_conv_init);
  LN_CHECK(start_problem.empty(),
           at(c, {"model.q_conv_init", "model.q_conv", "model.kv_conv_init", "model.kv_conv"}),
           start_problem);
}

// The one list of attention rules (kernels/attention/attention_spec.hpp), located here.
void check_attention(const Config& c) {
  const int64_t heads = c.model.heads;
  const int64_t head_dim = head_dim_of(c.model.d_model, c.model.heads, c.model.head_dim);
  const AttentionSpec spec = attention_spec_from_config(c);
  // A positive scale below float's range (1e-300) reaches the kernels as 0: said below, as too small.
  const bool below_float = c.model.xpos_scale_base > 0 && spec.xpos_scale_base == 0;
  if (auto problem = attention_spec_problem(spec, heads, head_dim); problem && !below_float) {
    LN_FAIL(at_keys(c, problem->keys), problem->message);
  }
  // XPOS's decay factors over a training window must stay inside fp32, as the attention op
  // checks at every call (ops/attention.cpp); a tiny scale base (1e-300 is 0 as a float)
  // would pass the schema's range and fail at the first step.
  if (spec.positions == PositionKind::xpos) {
    const double log_factor = xpos_max_log_factor(spec, head_dim, c.data.seq_len);
    if (!(log_factor < kXposMaxLogFactor)) {
      AttentionSpec unit = spec;
      unit.xpos_scale_base = 1;
      const double smallest = xpos_max_log_factor(unit, head_dim, c.data.seq_len) / kXposMaxLogFactor;
      LN_FAIL(at(c, {"model.xpos_scale_base", "data.seq_len", "attention.segments"}),
              "model.xpos_scale_base (", format_number(c.model.xpos_scale_base),
              ") is too small for data.seq_len ", c.data.seq_len,
              ": XPOS decay factors would leave fp32; use model.xpos_scale_base >= ",
              format_number(std::ceil(smallest * 1000) / 1000),
              " (the default is 512), or model.positions: rope");
    }
  }
}

void check_tokenizer(const Config& c) {
  const TokenizerConfig& t = c.tokenizer;
  if (!t.model.empty()) return;  // an existing model: its size is what it is
  LN_CHECK(
      !t.byte_fallback || t.vocab_size > 259, at(c, {"tokenizer.vocab_size", "tokenizer.byte_fallback"}),
      "tokenizer.vocab_size (", t.vocab_size,
      ") leaves no room beside the 256 byte-fallback pieces and unk/bos/eos; it needs 259 plus one piece "
      "per distinct character of the corpus (a few hundred for English prose): use the default 4096, or "
      "tokenizer.byte_fallback: false");
  // SentencePiece's own limits, which it checks only when training starts.
  LN_CHECK(t.character_coverage >= 0.98, at(c, {"tokenizer.character_coverage"}),
           "tokenizer.character_coverage (", format_number(t.character_coverage),
           ") is below 0.98, SentencePiece's lowest; use a value in [0.98, 1] (the default is 0.9995)");
  LN_CHECK(t.sample_sentences > 100, at(c, {"tokenizer.sample_sentences"}), "tokenizer.sample_sentences (",
           t.sample_sentences,
           ") must be more than 100, SentencePiece's lowest; use e.g. 300000 (the default)");
  LN_CHECK(c.model.vocab_size == 0 || c.model.vocab_size >= t.vocab_size, at(c, {"model.vocab_size"}),
           "model.vocab_size (", c.model.vocab_size, ") is smaller than tokenizer.vocab_size (", t.vocab_size,
           "), so some token ids have no embedding; use model.vocab_size: 0");
}

void check_train(const Config& c) {
  const TrainConfig& t = c.train;
  LN_CHECK(t.min_lr <= t.lr, at(c, {"train.min_lr", "train.lr"}), "train.min_lr (", format_number(t.min_lr),
           ") must not exceed train.lr (", format_number(t.lr), ")");
  LN_CHECK(t.warmup_steps <= t.steps, at(c, {"train.warmup_steps", "train.steps"}), "train.warmup_steps (",
           t.warmup_steps, ") must not exceed train.steps (", t.steps, ")");
  const int64_t T = c.data.seq_len;
  LN_CHECK(t.batch_tokens == 0 || t.batch_tokens % T == 0, at(c, {"train.batch_tokens", "data.seq_len"}),
           "train.batch_tokens (", t.batch_tokens, ") must be a multiple of data.seq_len (", T, "); e.g. ",
           std::max<int64_t>(1, t.batch_tokens / T) * T);
  const int64_t sequences = t.batch_tokens > 0 ? t.batch_tokens / T : t.batch_size;
  LN_CHECK(
      sequences % t.grad_accum == 0, at(c, {"train.grad_accum", "train.batch_size", "train.batch_tokens"}),
      "train.grad_accum (", t.grad_accum, ") must divide the ", sequences,
      " sequences of a step (train.batch_size, or batch_tokens / seq_len); use a divisor of ", sequences);
  LN_CHECK(t.eval_every == 0 || c.data.val_fraction > 0, at(c, {"train.eval_every", "data.val_fraction"}),
           "train.eval_every is ", t.eval_every,
           " but data.val_fraction is 0, so there is nothing to validate on; "
           "set one of them");
}

void check_data(const Config& c) {
  const DataConfig& d = c.data;
  LN_CHECK(d.copy_rows + d.passkey_rows + d.induction_rows <= 1,
           at(c, {"data.copy_rows", "data.passkey_rows", "data.induction_rows"}), "data.copy_rows (",
           format_number(d.copy_rows), "), data.passkey_rows (", format_number(d.passkey_rows),
           ") and data.induction_rows (", format_number(d.induction_rows),
           ") are shares of the same rows and must add up to at most 1");
  LN_CHECK(d.copy_rows == 0 || d.seq_len >= 63, at(c, {"data.copy_rows", "data.seq_len"}),
           "data.copy_rows needs rows of at least 64 tokens to repeat a passage of 16 in (data.seq_len is ",
           d.seq_len, ")");
  LN_CHECK(d.induction_tokens == InductionTokens::window || d.induction_rows > 0,
           at(c, {"data.induction_tokens", "data.induction_rows"}),
           "data.induction_tokens is uniform but data.induction_rows is 0, so there are no induction rows "
           "to draw for; set data.induction_rows (0.1, say) or drop data.induction_tokens");
  LN_CHECK(d.induction_reach == InductionReach::near || d.induction_rows > 0,
           at(c, {"data.induction_reach", "data.induction_rows"}),
           "data.induction_reach is far but data.induction_rows is 0, so there are no induction rows "
           "to place; set data.induction_rows (0.1, say) or drop data.induction_reach");
  LN_CHECK(d.induction_reach == InductionReach::near || d.seq_len >= 63,
           at(c, {"data.induction_reach", "data.seq_len"}),
           "data.induction_reach far places runs as copy rows do and needs rows of at least 64 tokens "
           "(data.seq_len is ",
           d.seq_len, ")");
}

}  // namespace

void validate_config(const Config& c) {
  check_model(c);
  check_attention(c);
  check_tokenizer(c);
  check_data(c);
  check_train(c);
}

AttentionSpec attention_spec_from_config(const Config& config) {
  const ModelConfig& m = config.model;
  const AttentionConfig& a = config.attention;
  AttentionSpec att;
  att.kind = a.kind;
  att.segments = a.segments;
  att.dilations = a.dilations;
  att.head_offset = a.head_offset;
  att.causal = a.causal;
  att.dense_queries = a.dense_queries;
  att.sparse_block = a.sparse_block;
  att.sparse_summary = a.sparse_summary;
  att.positions = m.positions;
  att.rope_base = static_cast<float>(m.rope_base);
  att.xpos_gamma = static_cast<float>(m.xpos_gamma);
  att.xpos_scale_base = static_cast<float>(m.xpos_scale_base);
  return att;
}

}  // namespace ln
