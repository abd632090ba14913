#pragma once
// The run configuration: typed structs the rest of the code reads, and one strict YAML schema.
//
// Every key is declared exactly once, in `config_schema()` (schema.cpp), with its type,
// default (the struct's initialiser), range or choices, and help text. Parsing, validation,
// the printed table, the YAML dump, `--set` overrides and `longnet config --keys` are all
// derived from that one table. Unknown keys are errors naming the nearest valid key; wrong
// types and out-of-range values are one line naming the file, line and key:
//
//   configs/x.yaml:3: unknown key 'model.layer'; did you mean 'model.layers'?
//   configs/x.yaml:5: model.heads must be an integer in [1, 256], got 'four'
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

// The enums of the choice keys, each with its one table of names (core/enum_names.hpp). The
// config parses every choice once, at load: code above reads enums, never choice strings, and
// the layers below (kernels, ops, nn, data) never see a Config.
#include "config/lr_schedule.hpp"
#include "data/corpus.hpp"
#include "data/retrieval_mixture.hpp"
#include "data/tokenizer.hpp"
#include "kernels/attention/attention_spec.hpp"
#include "nn/model_spec.hpp"
#include "nn/recompute.hpp"
#include "ops/precision.hpp"

namespace ln {

struct ModelConfig {
  int64_t vocab_size = 0;  // 0: take the tokenizer's
  int64_t d_model = 256, layers = 4, heads = 4, mlp_ratio = 4;
  int64_t head_dim = 0;  // 0: d_model / heads
  PositionKind positions = PositionKind::xpos;
  double rope_base = 10000, xpos_gamma = 0.4, xpos_scale_base = 512;
  bool subln = false, tie_embeddings = true;
  int64_t kv_conv = 1;
  KvConvInit kv_conv_init = KvConvInit::identity;
  bool q_conv = false;
  QConvInit q_conv_init = QConvInit::zero;
  bool tie_qk_init = false;
  double dropout = 0.0, norm_eps = 1e-5, init_std = 0.02;
};

struct AttentionConfig {
  AttentionKind kind = AttentionKind::dilated;
  std::vector<int64_t> segments = {128, 256, 512}, dilations = {1, 2, 4};
  HeadOffset head_offset = HeadOffset::mod;
  bool causal = true;
  bool dense_queries = false;
  int64_t sparse_block = 128;
  int64_t sparse_summary = 16;
};

struct TokenizerConfig {
  std::string model = "";  // path; empty: train one into the run dir from data.train
  TokenizerType type = TokenizerType::bpe;
  int64_t vocab_size = 4096;
  bool byte_fallback = true;
  int64_t sample_sentences = 300000;
  double character_coverage = 0.9995;
};

struct DataConfig {
  std::vector<std::string> train = {"data/sotu"};
  DocumentSeparator document_separator = DocumentSeparator::file;
  double val_fraction = 0.05;
  std::string cache_dir = "data/cache";
  int64_t seq_len = 512;
  // Synthetic retrieval rows in training (data/retrieval_mixture.hpp): shares of the rows that
  // repeat passages of their own text far back, that end in a passkey question, and that are
  // random runs each repeated (learnable only by copying).
  double copy_rows = 0, passkey_rows = 0, induction_rows = 0;
  InductionTokens induction_tokens = InductionTokens::window;
  InductionReach induction_reach = InductionReach::near;
};

struct TrainConfig {
  int64_t steps = 1000, batch_size = 8;
  int64_t batch_tokens = 0;  // > 0: batch size in tokens, overrides batch_size
  int64_t grad_accum = 1;
  double lr = 1e-3, min_lr = 1e-4;
  int64_t warmup_steps = 100;
  LrScheduleKind schedule = LrScheduleKind::cosine;
  double poly_power = 1.0, weight_decay = 0.1, beta1 = 0.9, beta2 = 0.95, adam_eps = 1e-8, grad_clip = 1.0;
  bool decay_norms_and_embeddings = false;
  int64_t seed = 1337, eval_every = 100, eval_batches = 20, save_every = 200, keep_last = 3, log_every = 1;
  std::string out_dir = "runs/default";
  double max_minutes = 0;  // 0: no limit
  Recompute recompute = Recompute::none;
  Precision precision = Precision::fp32;
};

// Distributed runs (mpirun): ranks per sequence; the world's other factor is data parallelism.
struct ParallelConfig {
  int64_t sequence = 1;
  double timeout_s = 600;  // the deadline of every wait (parallel/watchdog.hpp)
};

struct Config {
  ModelConfig model;
  AttentionConfig attention;
  TokenizerConfig tokenizer;
  DataConfig data;
  TrainConfig train;
  ParallelConfig parallel;
  std::string source = "defaults";  // file the config came from, or "defaults"
  // Where each key was set ("configs/x.yaml:12", "--set model.layers=6"); keys left at their
  // default are absent. validate_config's errors point there.
  std::map<std::string, std::string> origin;
};

// ---- the schema -------------------------------------------------------------------------

enum class KeyType { integer, real, boolean, text, choice, integer_list, text_list };

// A value as written by the user, before typing: one scalar, or a list of scalars.
struct RawValue {
  bool is_list = false;
  bool is_null = false;            // `key:` with nothing after it
  std::string scalar;              // when !is_list
  std::vector<std::string> items;  // when is_list
};

struct ConfigKey {
  std::string name;  // "model.layers"
  KeyType type = KeyType::integer;
  std::string help;
  // Numeric range (of the value, or of each element of a list); open ends exclude the bound.
  double lo = 0, hi = 0;
  bool lo_open = false, hi_open = false;
  std::vector<std::string> choices;  // KeyType::choice
  bool allow_empty = true;           // text: may be ""; lists: may have no elements

  // Derived from the struct member the key is bound to (see schema.cpp).
  std::function<std::string(const Config&)> format;   // table text: 4, 0.001, [1, 2], data/x
  std::function<std::string(const Config&)> to_yaml;  // YAML scalar or flow sequence
  // Types `raw` and stores it; returns "" on success, else what is wrong
  // ("must be an integer in [1, 256], got 'four'"). On failure the config is unchanged.
  std::function<std::string(const ConfigKey&, Config&, const RawValue&)> store;
  std::string assign(Config& config, const RawValue& raw) const { return store(*this, config, raw); }

  std::string section() const { return name.substr(0, name.find('.')); }
  std::string leaf() const { return name.substr(name.find('.') + 1); }
  std::string type_name() const;   // "integer", "list of integers", ...
  std::string range_text() const;  // "[1, 256]", "dilated|dense|sparse", "" when unconstrained
  std::string default_text() const { return format(Config{}); }
};

// Every key, grouped by section in the order model, attention, tokenizer, data, train.
const std::vector<ConfigKey>& config_schema();
// The section names in schema order.
std::vector<std::string> config_sections();
// The key called `name`, or nullptr.
const ConfigKey* find_config_key(const std::string& name);
// The valid name nearest to `name` by edit distance (keys and section names), for "did you mean".
std::string nearest_config_key(const std::string& name);

// ---- loading ----------------------------------------------------------------------------

// Reads `path` (empty: start from the defaults), applies `overrides` ("model.layers=6") in
// order, then runs validate_config. Throws ln::Error with one located line on any problem.
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});
// Same, from text; `source_name` is used in messages and stored in Config::source.
Config parse_config_yaml(const std::string& yaml_text, const std::string& source_name,
                         const std::vector<std::string>& overrides = {});
// One "section.key=value" override. Lists accept "[1,2,4]" or "1,2,4". Does not run
// validate_config (the caller does, once all overrides are in).
void apply_override(Config& config, const std::string& assignment);
// Cross-key checks (config_checks.cpp), so that a config `longnet config` accepts also builds a
// model and trains: d_model % heads, one dilation per segment, each dilation <= its segment,
// segments ascending, grad_accum dividing the batch, vocab sizes, min_lr <= lr, ... Each error
// names the file:line (or --set) where the offending key was given.
void validate_config(const Config& config);

// The attention spec the config describes (attention.* and model.positions, rope_base,
// xpos_*), as the kernels see it; validate_config checks it with attention_spec_problem.
AttentionSpec attention_spec_from_config(const Config& config);

// ---- printing ---------------------------------------------------------------------------

// Aligned "key  value" table, one key a line; values that differ from the default are marked
// with '*' in the first column and the default is shown after them.
std::string config_table(const Config& config);
// The whole config as YAML (every key, in schema order); load_config reads it back to an
// identical Config.
std::string config_to_yaml(const Config& config);

// What another tool should read (the run folder's config.yaml, checkpoint metadata): the
// config as config_to_yaml writes it (floats as "1.0e-05", which every YAML 1.1 reader reads as
// a float), with model.vocab_size set to `vocab_size`, the model's real vocabulary (the
// embedding's rows) rather than 0 for "the tokenizer's".
std::string resolved_config_yaml(const Config& config, int64_t vocab_size);
// Every key with type, default, range and help, for `longnet config --keys`.
std::string config_keys_help();

}  // namespace ln
