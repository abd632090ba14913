// validate_config: every check that involves more than one key (or a value the schema's range
// cannot express), run once at config load, so that a config `longnet config` accepts also builds
// a model and trains. The model, kernels and trainer keep their own checks for callers that do
// not come through a config; these mirror them (lib/kernels/attention/attention_spec.cpp,
// lib/train/batch_plan.cpp, lib/data/tokenizer.cpp) with the config's file:line.
#include <algorithm>
#include <initializer_list>

#include "config/config.hpp"
#include "config/value_text.hpp"
#include "core/error.hpp"

namespace ln {

namespace {

// Where to point for a problem involving `keys`: the first of them the user set (its file:line
// or --set), else the config as a whole.
std::string at(const Config& c, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    auto it = c.origin.find(key);
    if (it != c.origin.end()) return it->second + ": ";
  }
  return "config " + c.source + ": ";
}

void check_model(const Config& c) {
  const ModelConfig& m = c.model;
  LN_CHECK(m.d_model % m.heads == 0, at(c, {"model.heads", "model.d_model"}), "model.d_model (", m.d_model,
           ") must be a multiple of model.heads (", m.heads, "); change one of them");
  const int64_t head_dim = m.d_model / m.heads;
  LN_CHECK(m.positions == PositionKind::none || head_dim % 2 == 0,
           at(c, {"model.heads", "model.d_model", "model.positions"}),
           "model.positions: ", to_string(m.positions),
           " rotates pairs of channels, so the head dim d_model/heads (", head_dim,
           ") must be even; change d_model or heads, or use positions: none");
  LN_CHECK(
      m.vocab_size != 1, at(c, {"model.vocab_size"}),
      "model.vocab_size is 1; a language model needs at least 2 tokens (use 0 for the tokenizer's size)");
  LN_CHECK(m.positions != PositionKind::xpos || m.xpos_gamma > 0,
           at(c, {"model.xpos_gamma", "model.positions"}), "model.xpos_gamma is ",
           format_number(m.xpos_gamma),
           " but XPOS needs gamma > 0 (its decay divides by it); use e.g. 0.4, or positions: rope");
}

void check_attention(const Config& c) {
  const AttentionConfig& a = c.attention;
  LN_CHECK(a.segments.size() == a.dilations.size(), at(c, {"attention.dilations", "attention.segments"}),
           "attention.segments has ", a.segments.size(), " entries but attention.dilations has ",
           a.dilations.size(), "; give one dilation per segment");
  if (a.kind == AttentionKind::dilated) {
    for (size_t i = 0; i < a.segments.size(); ++i) {
      LN_CHECK(a.dilations[i] <= a.segments[i], at(c, {"attention.dilations", "attention.segments"}),
               "attention.dilations[", i, "] = ", a.dilations[i],
               " is larger than its segment attention.segments[", i, "] = ", a.segments[i],
               "; use a dilation <= the segment length");
      LN_CHECK(i == 0 || a.segments[i] >= a.segments[i - 1], at(c, {"attention.segments"}),
               "attention.segments must be ascending but attention.segments[", i, "] = ", a.segments[i],
               " < attention.segments[", i - 1, "] = ", a.segments[i - 1],
               "; sort the patterns by segment length (and their dilations with them)");
    }
  }
  if (a.kind == AttentionKind::sparse) {
    LN_CHECK(a.sparse_summary <= a.sparse_block,
             at(c, {"attention.sparse_summary", "attention.sparse_block"}), "attention.sparse_summary (",
             a.sparse_summary, ") must not exceed attention.sparse_block (", a.sparse_block, ")");
  }
}

void check_tokenizer(const Config& c) {
  const TokenizerConfig& t = c.tokenizer;
  if (!t.model.empty()) return;  // an existing model: its size is what it is
  LN_CHECK(!t.byte_fallback || t.vocab_size > 259, at(c, {"tokenizer.vocab_size", "tokenizer.byte_fallback"}),
           "tokenizer.vocab_size (", t.vocab_size,
           ") leaves no room beside the 256 byte-fallback pieces and "
           "unk/bos/eos; use at least 300, or tokenizer.byte_fallback: false");
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
}

}  // namespace

void validate_config(const Config& c) {
  check_model(c);
  check_attention(c);
  check_tokenizer(c);
  check_data(c);
  check_train(c);
}

}  // namespace ln
