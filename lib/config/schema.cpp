// The schema: every config key, once. A key is bound to its struct member with LN_KEY, which
// spells the name from the member itself, so the YAML name and the C++ field cannot drift
// apart; the default is the struct's initialiser, never restated here.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "config/config.hpp"
#include "config/value_text.hpp"

namespace ln {

namespace {

enum class Ends { closed, open_lo, open_hi, open_both };

// Typing one raw value into a field. Each returns "" on success, else what is wrong.
std::string store_value(const ConfigKey& key, const RawValue& raw, int64_t& out) {
  std::string want = "must be an integer" + (key.range_text().empty() ? "" : " in " + key.range_text());
  if (raw.is_null) return want + ", got nothing";
  if (raw.is_list) return want + ", got a list";
  auto value = parse_int(raw.scalar);
  if (!value || !in_range(key, static_cast<double>(*value))) return want + ", got '" + raw.scalar + "'";
  out = *value;
  return "";
}

std::string store_value(const ConfigKey& key, const RawValue& raw, double& out) {
  std::string want = "must be a number" + (key.range_text().empty() ? "" : " in " + key.range_text());
  if (raw.is_null) return want + ", got nothing";
  if (raw.is_list) return want + ", got a list";
  auto value = parse_real(raw.scalar);
  if (!value || !in_range(key, *value)) return want + ", got '" + raw.scalar + "'";
  out = *value;
  return "";
}

std::string store_value(const ConfigKey& key, const RawValue& raw, bool& out) {
  if (raw.is_null) return "must be true or false, got nothing";
  if (raw.is_list) return "must be true or false, got a list";
  auto value = parse_bool(raw.scalar);
  if (!value) return "must be true or false, got '" + raw.scalar + "'";
  out = *value;
  return "";
}

std::string store_value(const ConfigKey& key, const RawValue& raw, std::string& out) {
  if (key.type == KeyType::choice) {
    std::string want = "must be one of " + key.range_text();
    if (raw.is_null) return want + ", got nothing";
    if (raw.is_list) return want + ", got a list";
    if (std::find(key.choices.begin(), key.choices.end(), raw.scalar) == key.choices.end()) {
      std::string near = nearest_word(raw.scalar, key.choices);
      return want + ", got '" + raw.scalar + "'" + (near.empty() ? "" : "; did you mean '" + near + "'?");
    }
    out = raw.scalar;
    return "";
  }
  if (raw.is_list) return "must be a single string, got a list";
  std::string value = raw.is_null ? "" : raw.scalar;
  if (value.empty() && !key.allow_empty) return "must not be empty";
  out = value;
  return "";
}

std::string store_value(const ConfigKey& key, const RawValue& raw, std::vector<int64_t>& out) {
  std::string want =
      "must be a list of integers" + (key.range_text().empty() ? "" : " each in " + key.range_text());
  if (raw.is_null) return want + ", got nothing";
  if (!raw.is_list) return want + " like [1, 2, 4], got '" + raw.scalar + "'";
  std::vector<int64_t> values;
  for (size_t i = 0; i < raw.items.size(); ++i) {
    auto value = parse_int(raw.items[i]);
    if (!value || !in_range(key, static_cast<double>(*value))) {
      return want + ", got '" + raw.items[i] + "' at position " + std::to_string(i);
    }
    values.push_back(*value);
  }
  if (values.empty() && !key.allow_empty) return want + ", got an empty list";
  out = std::move(values);
  return "";
}

std::string store_value(const ConfigKey& key, const RawValue& raw, std::vector<std::string>& out) {
  // A single string is accepted as a one-element list: `train: data/sotu`.
  std::vector<std::string> values;
  if (raw.is_list)
    values = raw.items;
  else if (!raw.is_null)
    values = {raw.scalar};
  for (const auto& v : values) {
    if (v.empty()) return "must be a list of non-empty strings, got an empty string";
  }
  if (values.empty() && !key.allow_empty) return "must be a non-empty list of strings, got nothing";
  out = std::move(values);
  return "";
}

template <class S, class T>
ConfigKey bind(const char* name, S Config::*section, T S::*field, KeyType type, std::string help) {
  ConfigKey key;
  key.name = name;
  key.type = type;
  key.help = std::move(help);
  key.format = [section, field](const Config& c) { return format_text((c.*section).*field); };
  key.to_yaml = [section, field, type](const Config& c) {
    return format_yaml((c.*section).*field, type == KeyType::choice);
  };
  key.store = [section, field](const ConfigKey& self, Config& c, const RawValue& raw) {
    T value = (c.*section).*field;
    std::string problem = store_value(self, raw, value);
    if (problem.empty()) (c.*section).*field = std::move(value);
    return problem;
  };
  return key;
}

void set_range(ConfigKey& key, double lo, double hi, Ends ends) {
  key.lo = lo;
  key.hi = hi;
  key.lo_open = ends == Ends::open_lo || ends == Ends::open_both;
  key.hi_open = ends == Ends::open_hi || ends == Ends::open_both;
}

template <class S>
ConfigKey integer(const char* name, S Config::*sec, int64_t S::*field, double lo, double hi,
                  std::string help) {
  ConfigKey key = bind(name, sec, field, KeyType::integer, std::move(help));
  set_range(key, lo, hi, Ends::closed);
  return key;
}

template <class S>
ConfigKey real(const char* name, S Config::*sec, double S::*field, double lo, double hi, Ends ends,
               std::string help) {
  ConfigKey key = bind(name, sec, field, KeyType::real, std::move(help));
  set_range(key, lo, hi, ends);
  return key;
}

template <class S>
ConfigKey boolean(const char* name, S Config::*sec, bool S::*field, std::string help) {
  return bind(name, sec, field, KeyType::boolean, std::move(help));
}

template <class S>
ConfigKey choice(const char* name, S Config::*sec, std::string S::*field, std::vector<std::string> choices,
                 std::string help) {
  ConfigKey key = bind(name, sec, field, KeyType::choice, std::move(help));
  key.choices = std::move(choices);
  return key;
}

// A choice bound to an enum member: the names come from the enum's one table (EnumName,
// core/enum_names.hpp), so the schema, the parser and every printout share one list; the
// YAML text is parsed to the enum here, once, at load.
template <class S, class E, size_t N>
ConfigKey choice(const char* name, S Config::*section, E S::*field, const EnumName<E> (&table)[N],
                 std::string help) {
  ConfigKey key;
  key.name = name;
  key.type = KeyType::choice;
  key.help = std::move(help);
  key.choices = enum_names(table);
  const EnumName<E>(*names)[N] = &table;  // the table has static storage
  key.format = [section, field, names](const Config& c) {
    return format_text(std::string(enum_name(*names, (c.*section).*field)));
  };
  key.to_yaml = [section, field, names](const Config& c) {
    return format_yaml(std::string(enum_name(*names, (c.*section).*field)), true);
  };
  key.store = [section, field, names](const ConfigKey& self, Config& c, const RawValue& raw) {
    std::string text;
    std::string problem = store_value(self, raw, text);  // checks the name against self.choices
    if (problem.empty()) {
      (c.*section).*field = *enum_from_name(*names, text);
    }
    return problem;
  };
  return key;
}

template <class S>
ConfigKey text(const char* name, S Config::*sec, std::string S::*field, bool allow_empty, std::string help) {
  ConfigKey key = bind(name, sec, field, KeyType::text, std::move(help));
  key.allow_empty = allow_empty;
  return key;
}

template <class S>
ConfigKey integer_list(const char* name, S Config::*sec, std::vector<int64_t> S::*field, double lo, double hi,
                       std::string help) {
  ConfigKey key = bind(name, sec, field, KeyType::integer_list, std::move(help));
  set_range(key, lo, hi, Ends::closed);
  key.allow_empty = false;
  return key;
}

template <class S>
ConfigKey text_list(const char* name, S Config::*sec, std::vector<std::string> S::*field, std::string help) {
  ConfigKey key = bind(name, sec, field, KeyType::text_list, std::move(help));
  key.allow_empty = false;
  return key;
}

// "model.layers", &Config::model, &ModelConfig::layers — from one spelling of the member.
#define LN_KEY(section, field) #section "." #field, &Config::section, &decltype(Config::section)::field

constexpr double kMaxSize = 1 << 24;       // vocabularies, widths, sequence lengths
constexpr double kMaxCount = 1e12;         // step counts and token counts
constexpr double kMaxSeed = 4294967295.0;  // seeds are 32-bit so every RNG can take them

std::vector<ConfigKey> build_schema() {
  std::vector<ConfigKey> k;
  // model
  k.push_back(integer(LN_KEY(model, vocab_size), 0, kMaxSize,
                      "Embedding rows; 0: take the tokenizer's vocabulary size"));
  k.push_back(integer(LN_KEY(model, d_model), 1, 65536, "Model width C"));
  k.push_back(integer(LN_KEY(model, layers), 1, 1024, "Transformer blocks"));
  k.push_back(integer(LN_KEY(model, heads), 1, 256, "Attention heads H"));
  k.push_back(integer(LN_KEY(model, head_dim), 0, 65536,
                      "Width D of each head; 0: d_model / heads. Queries, keys and values are H x D wide, "
                      "which may differ from d_model (DESIGN §8)"));
  k.push_back(integer(LN_KEY(model, mlp_ratio), 1, 64, "MLP hidden width as a multiple of d_model"));
  k.push_back(choice(LN_KEY(model, positions), kPositionKindNames,
                     "Position encoding applied to queries and keys (global positions)"));
  k.push_back(
      real(LN_KEY(model, rope_base), 1, 1e12, Ends::closed, "Rotary base theta (rope and xpos rotation)"));
  k.push_back(real(LN_KEY(model, xpos_gamma), 0, 100, Ends::closed,
                   "XPOS decay shape: zeta_i = (i / (D/2) + gamma) / (1 + gamma)"));
  k.push_back(real(LN_KEY(model, xpos_scale_base), 0, 1e12, Ends::open_lo,
                   "XPOS decay length scale: factors zeta^((n - m) / scale_base)"));
  k.push_back(boolean(LN_KEY(model, subln),
                      "MAGNETO Sub-LN: extra LayerNorms before attention out-proj and MLP fc2, scaled init"));
  k.push_back(boolean(LN_KEY(model, tie_embeddings), "Output head shares the token embedding matrix"));
  k.push_back(integer(LN_KEY(model, kv_conv), 1, 64,
                      "Width of a short causal convolution over time on each head's keys and values "
                      "(1: none): lets a key carry the tokens just before it (DESIGN §8)"));
  k.push_back(choice(LN_KEY(model, kv_conv_init), kKvConvInitNames,
                     "How the kv_conv taps start: identity (0: as without it), box (1: each key "
                     "and value starts as the sum of itself and the K-1 before it) or shifted (each head "
                     "an induction head at its own shift; DESIGN §8)"));
  k.push_back(boolean(
      LN_KEY(model, q_conv),
      "The kv_conv convolution on the queries too (needs kv_conv > 1; taps start as q_conv_init says): "
      "a query can hold the tokens before it, to match two or more (DESIGN §8)"));
  k.push_back(choice(LN_KEY(model, q_conv_init), kQConvInitNames,
                     "How the q_conv taps start: zero (as without it), pair or triple (with kv_conv_init "
                     "shifted, each head starts as an induction head matching two or three tokens; "
                     "DESIGN §8)"));
  k.push_back(boolean(LN_KEY(model, tie_qk_init),
                      "k_proj starts as a copy of q_proj, so attention starts out matching equal content"));
  k.push_back(real(LN_KEY(model, dropout), 0, 1, Ends::open_hi, "Dropout probability (training only)"));
  k.push_back(real(LN_KEY(model, norm_eps), 0, 1, Ends::open_lo, "LayerNorm epsilon"));
  k.push_back(real(LN_KEY(model, init_std), 0, 10, Ends::open_lo, "Std of the normal weight init"));
  // attention
  k.push_back(choice(
      LN_KEY(attention, kind), kAttentionKindNames,
      "dilated: LongNet; dense: full causal attention; sparse: the fixed pattern of Child et al. 2019"));
  k.push_back(
      integer_list(LN_KEY(attention, segments), 1, kMaxSize, "Segment lengths w, one per pattern (dilated)"));
  k.push_back(integer_list(LN_KEY(attention, dilations), 1, kMaxSize,
                           "Dilation rates r, one per pattern, same length as segments"));
  k.push_back(choice(LN_KEY(attention, head_offset), kHeadOffsetNames,
                     "Head h's offset: mod = h mod r (paper); block = h / ceil(H / r) (torchscale)"));
  k.push_back(boolean(LN_KEY(attention, causal), "Causal (language model) attention"));
  k.push_back(
      boolean(LN_KEY(attention, dense_queries),
              "kind dilated: every query attends to each head's dilated keys, not only the queries on "
              "the head's grid (r times the pattern's pairs; a far match is seen by 1/r of the heads "
              "instead of 1/r^2; DESIGN §8). false: the paper's dilated attention"));
  k.push_back(integer(LN_KEY(attention, sparse_block), 1, kMaxSize,
                      "Block length of the sparse baseline (kind: sparse)"));
  k.push_back(integer(
      LN_KEY(attention, sparse_summary), 1, kMaxSize,
      "Summary positions at the end of each earlier block that every query also sees (kind: sparse)"));
  // tokenizer
  k.push_back(text(LN_KEY(tokenizer, model), true,
                   "SentencePiece model file; empty: train one into the run dir from data.train"));
  k.push_back(choice(LN_KEY(tokenizer, type), kTokenizerTypeNames, "SentencePiece algorithm when training"));
  k.push_back(integer(LN_KEY(tokenizer, vocab_size), 8, kMaxSize, "Vocabulary size when training"));
  k.push_back(boolean(LN_KEY(tokenizer, byte_fallback), "Unknown characters become UTF-8 byte pieces"));
  k.push_back(integer(LN_KEY(tokenizer, sample_sentences), 1, kMaxCount,
                      "Sentences sampled from the corpus to train the tokenizer (bounds its memory)"));
  k.push_back(real(LN_KEY(tokenizer, character_coverage), 0, 1, Ends::open_lo,
                   "Fraction of characters the vocabulary must cover"));
  // data
  k.push_back(text_list(
      LN_KEY(data, train),
      "Training corpus: files, directories and/or glob patterns of UTF-8 text (a list or one path); "
      ".jsonl files: each line's \"text\"; binary files are skipped with a warning"));
  k.push_back(choice(LN_KEY(data, document_separator), kDocumentSeparatorNames,
                     "What ends a document: each file, or also every blank line (a .jsonl file: each line)"));
  k.push_back(real(LN_KEY(data, val_fraction), 0, 0.5, Ends::closed,
                   "Fraction of documents held out for validation"));
  k.push_back(text(LN_KEY(data, cache_dir), false, "Where tokenized corpora are cached"));
  k.push_back(integer(LN_KEY(data, seq_len), 1, kMaxSize, "Training sequence length T"));
  k.push_back(real(LN_KEY(data, copy_rows), 0, 1, Ends::closed,
                   "Share of training rows that repeat passages of their own text far back (teaches "
                   "retrieval; data/retrieval_mixture.hpp)"));
  k.push_back(real(LN_KEY(data, passkey_rows), 0, 1, Ends::closed,
                   "Share of training rows that end in a passkey question about a key told earlier"));
  k.push_back(real(LN_KEY(data, induction_rows), 0, 1, Ends::closed,
                   "Share of training rows made of random token runs, each repeated: learnable only by "
                   "copying, they teach it fastest"));
  k.push_back(choice(LN_KEY(data, induction_tokens), kInductionTokensNames,
                     "Where induction rows draw their tokens: window (the row's own text, its frequencies) "
                     "or uniform (every piece alike: only the copy predicts them)"));
  k.push_back(
      choice(LN_KEY(data, induction_reach), kInductionReachNames,
             "Where induction rows repeat their runs: near (each run again after a shorter gap, "
             "within 512 tokens) or far (placed as copy rows place passages, anywhere back in the row)"));
  // train
  k.push_back(integer(LN_KEY(train, steps), 1, kMaxCount, "Optimizer steps"));
  k.push_back(integer(LN_KEY(train, batch_size), 1, kMaxSize, "Sequences per optimizer step"));
  k.push_back(integer(LN_KEY(train, batch_tokens), 0, kMaxCount,
                      "> 0: tokens per optimizer step (a multiple of seq_len), overrides batch_size"));
  k.push_back(integer(LN_KEY(train, grad_accum), 1, 65536,
                      "Micro-batches whose gradients are accumulated per optimizer step"));
  k.push_back(real(LN_KEY(train, lr), 0, 10, Ends::open_lo, "Peak learning rate"));
  k.push_back(real(LN_KEY(train, min_lr), 0, 10, Ends::closed, "Learning rate at the end of the decay"));
  k.push_back(integer(LN_KEY(train, warmup_steps), 0, kMaxCount, "Linear warm-up steps from 0 to lr"));
  k.push_back(choice(LN_KEY(train, schedule), kLrScheduleKindNames, "Decay from lr to min_lr after warm-up"));
  k.push_back(real(LN_KEY(train, poly_power), 0, 100, Ends::open_lo, "Exponent of the polynomial schedule"));
  k.push_back(real(LN_KEY(train, weight_decay), 0, 10, Ends::closed, "AdamW decoupled weight decay"));
  k.push_back(real(LN_KEY(train, beta1), 0, 1, Ends::open_hi, "AdamW beta1"));
  k.push_back(real(LN_KEY(train, beta2), 0, 1, Ends::open_hi, "AdamW beta2"));
  k.push_back(real(LN_KEY(train, adam_eps), 0, 1, Ends::open_lo, "AdamW epsilon"));
  k.push_back(real(LN_KEY(train, grad_clip), 0, 1e12, Ends::closed, "Global gradient-norm clip; 0: off"));
  k.push_back(boolean(LN_KEY(train, decay_norms_and_embeddings),
                      "Apply weight decay to norms, biases and embeddings too"));
  k.push_back(
      integer(LN_KEY(train, seed), 0, kMaxSeed, "Seed of every random stream (init, batches, dropout)"));
  k.push_back(integer(LN_KEY(train, eval_every), 0, kMaxCount, "Steps between validations; 0: off"));
  k.push_back(integer(LN_KEY(train, eval_batches), 1, kMaxSize, "Validation batches per evaluation"));
  k.push_back(
      integer(LN_KEY(train, save_every), 0, kMaxCount, "Steps between checkpoints; 0: only the final one"));
  k.push_back(integer(LN_KEY(train, keep_last), 0, 1e6, "Checkpoints kept (newest); 0: keep all"));
  k.push_back(integer(LN_KEY(train, log_every), 1, kMaxCount, "Steps between metrics.jsonl lines"));
  k.push_back(text(LN_KEY(train, out_dir), false, "Run directory: checkpoints, metrics, tokenizer"));
  k.push_back(real(LN_KEY(train, max_minutes), 0, 1e9, Ends::closed,
                   "Stop (and save) after this many minutes; 0: no limit"));
  k.push_back(choice(LN_KEY(train, recompute), kRecomputeNames,
                     "Activations kept for backward: none (all), attention (recompute attention, "
                     "chunked MLP), blocks (only each block's input)"));
  k.push_back(choice(LN_KEY(train, precision), kPrecisionNames,
                     "Linear-layer GEMMs: fp32, or bf16 operands with fp32 accumulation (weights, "
                     "optimizer, norms, softmax and loss stay fp32; attention runs fp32)"));
  // parallel (lib/parallel; launch with mpirun -np W, W a multiple of parallel.sequence)
  k.push_back(integer(LN_KEY(parallel, sequence), 1, 1 << 20,
                      "Ranks that split each sequence (DESIGN §4); data-parallel replicas = ranks / this"));
  k.push_back(real(LN_KEY(parallel, timeout_s), 0, 1e7, Ends::open_lo,
                   "Deadline of every wait for other ranks (seconds): a rank silent longer ends the job"));
  return k;
}

#undef LN_KEY

}  // namespace

std::string ConfigKey::type_name() const {
  switch (type) {
    case KeyType::integer:
      return "integer";
    case KeyType::real:
      return "number";
    case KeyType::boolean:
      return "boolean";
    case KeyType::text:
      return "string";
    case KeyType::choice:
      return "choice";
    case KeyType::integer_list:
      return "list of integers";
    case KeyType::text_list:
      return "list of strings";
  }
  return "?";
}

std::string ConfigKey::range_text() const {
  switch (type) {
    case KeyType::integer:
    case KeyType::integer_list:
      return "[" + format_number(lo) + ", " + format_number(hi) + "]";
    case KeyType::real:
      return std::string(lo_open ? "(" : "[") + format_number(lo) + ", " + format_number(hi) +
             (hi_open ? ")" : "]");
    case KeyType::choice: {
      std::string out;
      for (const auto& c : choices) out += (out.empty() ? "" : "|") + c;
      return out;
    }
    default:
      return "";
  }
}

const std::vector<ConfigKey>& config_schema() {
  static const std::vector<ConfigKey> schema = build_schema();
  return schema;
}

std::vector<std::string> config_sections() {
  std::vector<std::string> out;
  for (const auto& key : config_schema()) {
    if (out.empty() || out.back() != key.section()) out.push_back(key.section());
  }
  return out;
}

const ConfigKey* find_config_key(const std::string& name) {
  for (const auto& key : config_schema()) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

std::string nearest_config_key(const std::string& name) {
  // Compare the leaf with every key's leaf; a key in another section costs one edit more, so
  // a right leaf in the wrong place ("model.segments", or "layers" at the top level) still
  // finds its key. A leaf that is the start of a key's leaf ("warmup") counts as one edit.
  size_t dot = name.find('.');
  bool dotted = dot != std::string::npos;
  std::string section = dotted ? name.substr(0, dot) : "";
  std::string leaf = dotted ? name.substr(dot + 1) : name;
  std::string best;
  size_t best_cost = std::numeric_limits<size_t>::max();
  for (const auto& key : config_schema()) {
    size_t cost = edit_distance(leaf, key.leaf());
    if (leaf.size() >= 3 && key.leaf().rfind(leaf, 0) == 0) cost = std::min<size_t>(cost, 1);
    if (key.section() != section) cost += 1;
    if (cost < best_cost) best_cost = cost, best = key.name;
  }
  if (!dotted) {
    for (const auto& candidate : config_sections()) {
      size_t cost = edit_distance(name, candidate);
      if (cost < best_cost) best_cost = cost, best = candidate;
    }
  }
  return best;
}

}  // namespace ln
