#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "config/config.hpp"
#include "core/error.hpp"
#include "run/model_builder.hpp"
#include "support/temp_dir.hpp"
#include "support/text_checks.hpp"

using namespace ln;
using test::contains;
using test::error_of;

namespace {

std::string yaml_error(const std::string& text) {
  return error_of([&] { parse_config_yaml(text, "configs/x.yaml"); });
}

std::string set_error(const std::string& assignment) {
  return error_of([&] { load_config("", {assignment}); });
}

}  // namespace

TEST_CASE("defaults: load_config with no file is the struct defaults, and the schema is consistent") {
  Config c = load_config("");
  CHECK(c.source == "defaults");
  CHECK(c.model.d_model == 256);
  CHECK(c.model.positions == PositionKind::xpos);
  CHECK(c.attention.segments == std::vector<int64_t>{128, 256, 512});
  CHECK(c.data.train == std::vector<std::string>{"data/sotu"});
  CHECK(c.train.lr == 1e-3);
  CHECK(c.train.out_dir == "runs/default");
  // Every key once, every section present, and every default inside its own range.
  std::set<std::string> names;
  for (const auto& key : config_schema()) {
    CHECK_MESSAGE(names.insert(key.name).second, key.name);
    CHECK(!key.help.empty());
    Config probe;
    // Re-assigning the default's own YAML text must succeed and change nothing.
    Config round =
        parse_config_yaml(key.section() + ":\n  " + key.leaf() + ": " + key.to_yaml(probe), "probe");
    CHECK(key.format(round) == key.default_text());
  }
  CHECK(names.size() == 71);
  CHECK(config_sections() ==
        std::vector<std::string>{"model", "attention", "tokenizer", "data", "train", "parallel"});
}

TEST_CASE("a YAML file sets typed values") {
  Config c = parse_config_yaml(
      "model:\n  layers: 6\n  positions: rope\n  subln: true\n  norm_eps: 1e-6\n"
      "attention:\n  segments: [64, 128]\n  dilations:\n    - 1\n    - 2\n"
      "data:\n  train: corpus.txt\n"
      "tokenizer:\n  model: \"\"\n"
      "train:\n  lr: 3e-4\n  out_dir: runs/x\n",
      "configs/x.yaml");
  CHECK(c.source == "configs/x.yaml");
  CHECK(c.model.layers == 6);
  CHECK(c.model.positions == PositionKind::rope);
  CHECK(c.model.subln);
  CHECK(c.model.norm_eps == 1e-6);
  CHECK(c.attention.segments == std::vector<int64_t>{64, 128});
  CHECK(c.attention.dilations == std::vector<int64_t>{1, 2});
  CHECK(c.data.train == std::vector<std::string>{"corpus.txt"});
  CHECK(c.train.lr == 3e-4);
  CHECK(c.train.out_dir == "runs/x");
  CHECK(c.model.heads == 4);  // untouched keys keep their defaults
  // An empty section keeps the defaults.
  CHECK(parse_config_yaml("model:\ntrain:\n  steps: 5\n  warmup_steps: 0\n", "x").train.steps == 5);
}

TEST_CASE("unknown keys at every level name the nearest valid key and the line") {
  CHECK(contains(yaml_error("model:\n  heads: 4\n  layer: 6\n"),
                 "unknown key 'model.layer' in configs/x.yaml:3; did you mean 'model.layers'?"));
  CHECK(contains(yaml_error("modle:\n  layers: 6\n"),
                 "unknown key 'modle' in configs/x.yaml:1; did you mean 'model'?"));
  CHECK(contains(yaml_error("trian: {}\n"), "did you mean 'train'?"));
  // A key at the top level, or in the wrong section, points at where it lives.
  CHECK(contains(yaml_error("layers: 6\n"),
                 "unknown key 'layers' in configs/x.yaml:1; did you mean 'model.layers'?"));
  CHECK(contains(yaml_error("model:\n  segments: [1]\n"), "did you mean 'attention.segments'?"));
  CHECK(contains(yaml_error("train:\n  learning_rat: 1\n"), "unknown key 'train.learning_rat'"));
  CHECK(contains(yaml_error("train:\n  warmup: 1\n"), "did you mean 'train.warmup_steps'?"));
  CHECK(contains(yaml_error("train:\n  steps: 10\n  warmup_steps: 1\n  lr:\n    peak: 1\n"),
                 "train.lr must be a number"));
  CHECK(yaml_error("model.layers: 6\n") ==
        "configs/x.yaml:1: write 'model.layers' nested, as 'model:' then '  layers: ...' on the next line");
}

TEST_CASE("wrong types are one line with file, line and key") {
  CHECK(yaml_error("model:\n  heads: four\n") ==
        "configs/x.yaml:2: model.heads must be an integer in [1, 256], got 'four'");
  CHECK(yaml_error("model:\n\n  layers: 2.5\n") ==
        "configs/x.yaml:3: model.layers must be an integer in [1, 1024], got '2.5'");
  // A quoted number is a string, not a number.
  CHECK(yaml_error("model:\n  heads: \"4\"\n") ==
        "configs/x.yaml:2: model.heads must be an integer in [1, 256], got '\"4\"'");
  CHECK(yaml_error("model:\n  subln: maybe\n") ==
        "configs/x.yaml:2: model.subln must be true or false, got 'maybe'");
  CHECK(yaml_error("train:\n  lr: fast\n") ==
        "configs/x.yaml:2: train.lr must be a number in (0, 10], got 'fast'");
  CHECK(yaml_error("model:\n  heads:\n") ==
        "configs/x.yaml:2: model.heads must be an integer in [1, 256], got nothing");
  CHECK(contains(yaml_error("model:\n  heads:\n    a: 1\n"),
                 "model.heads must be an integer, got a mapping (check the indentation)"));
  CHECK(contains(yaml_error("model:\n  heads: [4]\n"),
                 "model.heads must be an integer in [1, 256], got a list"));
  CHECK(contains(yaml_error("train:\n  out_dir: [a, b]\n"), "train.out_dir must be a single string"));
  CHECK(
      contains(yaml_error("train:\n  out_dir: \"\"\n"), "configs/x.yaml:2: train.out_dir must not be empty"));
}

TEST_CASE("out-of-range values name the range") {
  CHECK(yaml_error("model:\n  heads: 0\n") ==
        "configs/x.yaml:2: model.heads must be an integer in [1, 256], got '0'");
  CHECK(yaml_error("model:\n  heads: 300\n") ==
        "configs/x.yaml:2: model.heads must be an integer in [1, 256], got '300'");
  CHECK(yaml_error("train:\n  lr: 0\n") == "configs/x.yaml:2: train.lr must be a number in (0, 10], got '0'");
  CHECK(yaml_error("model:\n  dropout: 1\n") ==
        "configs/x.yaml:2: model.dropout must be a number in [0, 1), got '1'");
  CHECK(yaml_error("train:\n  beta2: -0.5\n") ==
        "configs/x.yaml:2: train.beta2 must be a number in [0, 1), got '-0.5'");
  CHECK(contains(yaml_error("train:\n  steps: 99999999999999999999999\n"), "train.steps must be an integer"));
  CHECK(contains(yaml_error("train:\n  lr: .nan\n"), "train.lr must be a number in (0, 10], got '.nan'"));
}

TEST_CASE("a bad choice lists the choices and suggests the nearest") {
  CHECK(yaml_error("attention:\n  kind: dialted\n") ==
        "configs/x.yaml:2: attention.kind must be one of dilated|dense|sparse, got 'dialted'; did you mean "
        "'dilated'?");
  CHECK(
      yaml_error("train:\n  schedule: exponential\n") ==
      "configs/x.yaml:2: train.schedule must be one of cosine|linear|polynomial|constant, got 'exponential'");
}

TEST_CASE("bad lists") {
  CHECK(yaml_error("attention:\n  segments: [128, x, 512]\n") ==
        "configs/x.yaml:2: attention.segments must be a list of integers each in [1, 16777216], got 'x' at "
        "position 1");
  CHECK(contains(
      yaml_error("attention:\n  segments: 128\n"),
      "attention.segments must be a list of integers each in [1, 16777216] like [1, 2, 4], got '128'"));
  CHECK(contains(yaml_error("attention:\n  segments: []\n"),
                 "attention.segments must be a list of integers each in [1, 16777216], got an empty list"));
  CHECK(contains(yaml_error("attention:\n  segments: [0]\n"), "got '0' at position 0"));
  CHECK(contains(yaml_error("attention:\n  segments: [[1, 2]]\n"),
                 "attention.segments must be a list of integers, got a list containing a list"));
  CHECK(contains(yaml_error("data:\n  train: []\n"), "data.train must be a non-empty list of strings"));
}

TEST_CASE("file-level problems: missing, empty, not a mapping, bad syntax, duplicates") {
  test::TempDir dir;
  std::string missing = dir / "nope.yaml";
  CHECK(
      contains(error_of([&] { load_config(missing, {}); }), "config file '" + missing + "' does not exist"));
  std::string empty = dir.write("empty.yaml", "");
  CHECK(contains(error_of([&] { load_config(empty, {}); }), empty + " is empty"));
  std::string comments = dir.write("comments.yaml", "# nothing here\n");
  CHECK(contains(error_of([&] { load_config(comments, {}); }), comments + " is empty"));
  CHECK(contains(error_of([&] { load_config(dir.path().string(), {}); }), "is a directory"));
  CHECK(contains(yaml_error("- model\n- train\n"),
                 "configs/x.yaml:1: the top level must be a mapping of sections"));
  CHECK(
      contains(yaml_error("42\n"),
               "the top level must be a mapping of sections (model:, attention:, ...), got a single value"));
  CHECK(contains(yaml_error("model: 5\n"),
                 "configs/x.yaml:1: section 'model' must be a mapping of keys, got a single value"));
  CHECK(contains(yaml_error("model:\n  layers: [1, 2\n"), "configs/x.yaml:"));
  CHECK(contains(yaml_error("model:\n  layers: [1, 2\n"), "not valid YAML"));
  CHECK(yaml_error("model:\n  layers: 2\n  layers: 3\n") ==
        "configs/x.yaml:3: model.layers given twice (first on line 2); keep one");
  CHECK(contains(yaml_error("model:\n  layers: 2\ntrain: {}\nmodel:\n  heads: 2\n"),
                 "configs/x.yaml:4: section 'model' given twice"));
  // A file that loads records where it came from.
  std::string good = dir.write("good.yaml", "model:\n  layers: 3\n");
  Config c = load_config(good, {"model.heads=8"});
  CHECK(c.source == good);
  CHECK(c.model.layers == 3);
  CHECK(c.model.heads == 8);
}

TEST_CASE("--set overrides: values, lists, and errors") {
  Config c = load_config("", {"model.layers=6", "attention.segments=[64, 128]", "attention.dilations=1,2",
                              "data.train=a.txt,dir/b", "tokenizer.model=", "train.lr = 5e-4"});
  CHECK(c.model.layers == 6);
  CHECK(c.attention.segments == std::vector<int64_t>{64, 128});
  CHECK(c.attention.dilations == std::vector<int64_t>{1, 2});
  CHECK(c.data.train == std::vector<std::string>{"a.txt", "dir/b"});
  CHECK(c.tokenizer.model.empty());
  CHECK(c.train.lr == 5e-4);
  // Later overrides win.
  CHECK(load_config("", {"model.layers=6", "model.layers=2"}).model.layers == 2);

  CHECK(contains(set_error("model.layer=6"),
                 "unknown key 'model.layer' in --set model.layer=6; did you mean 'model.layers'?"));
  CHECK(contains(set_error("layers=6"), "did you mean 'model.layers'?"));
  CHECK(set_error("model.heads=four") ==
        "--set model.heads=four: model.heads must be an integer in [1, 256], got 'four'");
  CHECK(set_error("attention.dilations=1,x,2") ==
        "--set attention.dilations=1,x,2: attention.dilations must be a list of integers each in [1, "
        "16777216], got 'x' at position 1");
  CHECK(contains(set_error("attention.dilations=1,,2"), "got '' at position 1"));
  CHECK(contains(set_error("attention.dilations=[]"), "got an empty list"));
  CHECK(contains(set_error("model.layers"), "--set model.layers: expected section.key=value"));
  CHECK(contains(set_error("attention.kind=flash"), "must be one of dilated|dense|sparse, got 'flash'"));
  // A bad --set leaves the config as it was.
  Config d;
  CHECK_THROWS_AS(apply_override(d, "model.layers=0"), Error);
  CHECK(d.model.layers == 4);
}

TEST_CASE("cross-field checks") {
  CHECK(contains(set_error("model.d_model=250"),
                 "--set model.d_model=250: model.d_model (250) must be a multiple of model.heads (4)"));
  CHECK(contains(load_config("", {"model.d_model=12", "model.heads=4", "model.positions=none"}).source,
                 "defaults"));
  CHECK(contains(set_error("model.d_model=12"),
                 "the head dim (model.head_dim, or d_model/heads when 0) must be even"));
  CHECK(contains(set_error("attention.dilations=1,2"),
                 "attention.segments has 3 entries but attention.dilations has 2"));
  CHECK(contains(set_error("train.min_lr=0.01"), "train.min_lr (0.01) must not exceed train.lr (0.001)"));
  CHECK(contains(set_error("train.warmup_steps=2000"),
                 "train.warmup_steps (2000) must not exceed train.steps (1000)"));
  CHECK(contains(set_error("train.batch_tokens=1000"),
                 "train.batch_tokens (1000) must be a multiple of data.seq_len (512)"));
  CHECK(load_config("", {"train.batch_tokens=4096"}).train.batch_tokens == 4096);
  CHECK(contains(set_error("model.vocab_size=100"),
                 "model.vocab_size (100) is smaller than tokenizer.vocab_size (4096)"));
  CHECK(contains(set_error("data.val_fraction=0"), "nothing to validate on"));
  CHECK(contains(set_error("model.kv_conv_init=box"),
                 "model.kv_conv_init is box but model.kv_conv is 1 (no convolution, no taps to start at 1)"));
  CHECK(load_config("", {"model.kv_conv=4", "model.kv_conv_init=box"}).model.kv_conv_init == KvConvInit::box);
  CHECK(
      contains(set_error("model.q_conv=true"),
               "--set model.q_conv=true: model.q_conv is true but model.kv_conv is 1 (the query convolution "
               "takes model.kv_conv's width, and 1 is none); set model.kv_conv to 4, say, or model.q_conv to "
               "false"));
  CHECK(load_config("", {"model.kv_conv=4", "model.q_conv=true"}).model.q_conv);
  CHECK(!load_config("").model.q_conv);
  CHECK(contains(set_error("model.q_conv_init=pair"),
                 "--set model.q_conv_init=pair: model.q_conv_init is pair but model.q_conv is false"));
  CHECK(contains(
      error_of([] {
        load_config("", {"model.kv_conv=4", "model.q_conv=true", "model.q_conv_init=pair"});
      }),
      "--set model.q_conv_init=pair: model.q_conv_init is pair but model.kv_conv_init is not shifted"));
  CHECK(load_config("", {"model.kv_conv=6", "model.kv_conv_init=shifted", "model.q_conv=true",
                         "model.q_conv_init=pair"})
            .model.q_conv_init == QConvInit::pair);
  CHECK(contains(error_of([] {
                   load_config("", {"model.kv_conv=3", "model.kv_conv_init=shifted", "model.q_conv=true",
                                    "model.q_conv_init=triple"});
                 }),
                 "--set model.q_conv_init=triple: model.q_conv_init is triple but model.kv_conv is 3"));
  CHECK(load_config("", {"model.kv_conv=7", "model.kv_conv_init=shifted", "model.q_conv=true",
                         "model.q_conv_init=triple"})
            .model.q_conv_init == QConvInit::triple);
  // attention.dense_queries: the dilated kind only, and carried into the attention spec.
  CHECK(contains(error_of([] {
                   load_config("", {"attention.kind=dense", "attention.dense_queries=true"});
                 }),
                 "attention.dense_queries is true but attention.kind is dense"));
  CHECK(attention_spec_from_config(load_config("", {"attention.dense_queries=true"})).dense_queries);
  CHECK(!attention_spec_from_config(load_config("")).dense_queries);
  // model.head_dim: heads need not divide d_model once the head width is given.
  CHECK(load_config("").model.head_dim == 0);
  CHECK(load_config("", {"model.d_model=250", "model.heads=4", "model.head_dim=64"}).model.head_dim == 64);
  CHECK(contains(set_error("model.d_model=250"), "or set model.head_dim"));
  CHECK(contains(set_error("model.head_dim=7"), "the head dimension is 7 (odd)"));
  CHECK(contains(set_error("data.induction_tokens=uniform"),
                 "data.induction_tokens is uniform but data.induction_rows is 0"));
  CHECK(load_config("", {"data.induction_rows=0.2", "data.induction_tokens=uniform"}).data.induction_tokens ==
        InductionTokens::uniform);
  CHECK(contains(set_error("data.induction_reach=far"),
                 "data.induction_reach is far but data.induction_rows is 0"));
  CHECK(
      contains(error_of([] {
                 load_config("", {"data.induction_reach=far", "data.induction_rows=0.5", "data.seq_len=32"});
               }),
               "needs rows of at least 64 tokens (data.seq_len is 32)"));
  CHECK(load_config("", {"data.induction_rows=0.2", "data.induction_reach=far"}).data.induction_reach ==
        InductionReach::far);
  CHECK(contains(yaml_error("model:\n  d_model: 250\n"), "configs/x.yaml:2: model.d_model (250)"));
}

TEST_CASE("config_to_yaml round-trips every key exactly") {
  Config c;
  c.source = "custom";
  c.model.vocab_size = 5000;
  c.model.d_model = 384;
  c.model.heads = 6;
  c.model.positions = PositionKind::rope;
  c.model.rope_base = 123456.789;
  c.model.xpos_gamma = 0.1 + 0.2;  // not a short decimal: needs all 17 digits
  c.model.subln = true;
  c.model.tie_embeddings = false;
  c.model.norm_eps = 1e-6;
  c.attention.kind = AttentionKind::sparse;
  c.attention.segments = {2048, 4096};
  c.attention.dilations = {1, 8};
  c.attention.head_offset = HeadOffset::block;
  c.attention.causal = false;
  c.tokenizer.model = "my dir/tok: \"quoted\" #not a comment.model";
  c.tokenizer.type = TokenizerType::unigram;
  c.tokenizer.byte_fallback = false;
  c.data.train = {"a b.txt", "c,d", "- e"};
  c.data.document_separator = DocumentSeparator::blank_line;
  c.data.val_fraction = 0;
  c.train.eval_every = 0;
  c.train.lr = 1.0 / 3;
  c.train.min_lr = 1e-300;
  c.train.batch_tokens = 1024;
  c.train.schedule = LrScheduleKind::polynomial;
  c.train.seed = 4294967295;
  c.train.out_dir = "runs/ünïcode";
  c.train.max_minutes = 2.5;
  validate_config(c);
  std::string yaml = config_to_yaml(c);
  Config back = parse_config_yaml(yaml, "back");
  for (const auto& key : config_schema()) CHECK_MESSAGE(key.format(back) == key.format(c), key.name);
  CHECK(back.model.xpos_gamma == c.model.xpos_gamma);  // bit-exact, not just equal when printed
  CHECK(back.train.lr == c.train.lr);
  CHECK(back.train.min_lr == c.train.min_lr);
  CHECK(back.tokenizer.model == c.tokenizer.model);
  CHECK(back.data.train == c.data.train);
  // And the defaults round-trip through a file too.
  test::TempDir dir;
  Config defaults;
  Config reread = load_config(dir.write("d.yaml", config_to_yaml(defaults)), {});
  for (const auto& key : config_schema()) CHECK(key.format(reread) == key.default_text());
}

TEST_CASE("the table marks exactly the values that differ from the default") {
  Config c = load_config("", {"model.layers=6", "train.lr=3e-4"});
  std::istringstream table(config_table(c));
  std::string line;
  std::getline(table, line);
  CHECK(contains(line, "defaults"));
  std::set<std::string> marked;
  size_t rows = 0, value_column = std::string::npos;
  while (std::getline(table, line)) {
    ++rows;
    std::istringstream words(line.substr(2));
    std::string name, value;
    words >> name >> value;
    if (line[0] == '*')
      marked.insert(name + "=" + value);
    else
      CHECK(line.substr(0, 2) == "  ");
    size_t column = line.find_first_not_of(' ', 2 + name.size());
    if (value_column == std::string::npos) value_column = column;
    CHECK(column == value_column);  // aligned
  }
  CHECK(rows == config_schema().size());
  CHECK(marked == std::set<std::string>{"model.layers=6", "train.lr=3e-4"});
  CHECK(contains(config_table(c), "(default 4)"));
  // Setting a key to its default value does not mark it.
  CHECK(config_table(load_config("", {"model.layers=4"})).find('*', 40) == std::string::npos);
}

TEST_CASE("--keys help lists every key with type, default and range") {
  std::string help = config_keys_help();
  for (const auto& key : config_schema()) CHECK_MESSAGE(contains(help, key.name), key.name);
  CHECK(contains(help, "integer"));
  CHECK(contains(help, "dilated|dense|sparse"));
  CHECK(contains(help, "[1, 256]"));
}

TEST_CASE("longnet config: prints the table, and refuses an unknown --set key with exit 2") {
  test::TempDir dir;
  std::string out = dir / "out.txt";
  auto run = [&](const std::string& args) {
    std::string command = std::string(LONGNET_BINARY) + " config " + args + " > " + out + " 2>&1";
    int status = std::system(command.c_str());
    return std::make_pair(WEXITSTATUS(status), test::read_file(out));
  };
  auto [ok_code, ok_text] = run("--set model.layers=6");
  CHECK(ok_code == 0);
  CHECK(contains(ok_text, "* model.layers"));
  auto [bad_code, bad_text] = run("--set model.layer=6");
  CHECK(bad_code == 2);
  CHECK(contains(bad_text, "did you mean 'model.layers'?"));
  auto [keys_code, keys_text] = run("--keys");
  CHECK(keys_code == 0);
  CHECK(contains(keys_text, "attention.head_offset"));
  std::string saved = dir.write("saved.yaml", run("--set train.steps=777 --yaml").second);
  CHECK(load_config(saved, {}).train.steps == 777);
}

TEST_CASE("every shipped config in configs/ loads and validates, model and attention included") {
  std::filesystem::path dir = std::filesystem::path(LONGNET_SOURCE_DIR) / "configs";
  std::set<std::string> seen;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    CAPTURE(entry.path().string());
    seen.insert(entry.path().filename().string());
    Config c;
    REQUIRE_NOTHROW(c = load_config(entry.path().string(), {}));
    // The LongNet constraints (patterns vs heads, positions vs head dim) hold too.
    CHECK_NOTHROW(model_spec_from_config(c, c.tokenizer.vocab_size));
  }
  for (const char* name : {"default.yaml", "dense.yaml", "sparse.yaml", "long-8k.yaml"})
    CHECK(seen.count(name) == 1);
}

TEST_CASE("config YAML: every number key is written as a float any YAML 1.1 reader reads as a float") {
  // PyYAML (YAML 1.1) resolves a plain scalar to float only if it matches this pattern: a '.'
  // is required, and an exponent needs its sign. "1e-05" and "10000" would be a string and an int.
  const std::regex yaml11_float(R"(^[-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?$)");
  const Config config = load_config("", {"train.lr=3e-4", "model.rope_base=10000", "train.adam_eps=1e-8",
                                         "model.xpos_scale_base=1e12", "model.norm_eps=0.00001"});
  std::map<std::string, std::string> written;  // "section.leaf" -> value text
  std::istringstream lines(config_to_yaml(config));
  std::string section;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] != ' ') {
      section = line.substr(0, line.find(':'));
      continue;
    }
    const size_t colon = line.find(": ");
    written[section + "." + line.substr(2, colon - 2)] = line.substr(colon + 2);
  }
  int reals = 0;
  for (const auto& key : config_schema()) {
    if (key.type_name() != "number") continue;
    ++reals;
    REQUIRE(written.count(key.name) == 1);
    CHECK_MESSAGE(std::regex_match(written[key.name], yaml11_float), key.name, " = ", written[key.name]);
  }
  CHECK(reals >= 5);
  CHECK(written["model.norm_eps"] == "1.0e-05");
  CHECK(written["model.rope_base"] == "10000.0");
  CHECK(written["model.xpos_scale_base"] == "1.0e+12");
  CHECK(written["train.lr"] == "3.0e-04");
  CHECK(written["model.dropout"] == "0.0");
  // Read back, every value is exactly what was written.
  test::TempDir dir;
  const Config back = load_config(dir.write("c.yaml", config_to_yaml(config)), {});
  CHECK(back.train.lr == config.train.lr);
  CHECK(back.train.adam_eps == config.train.adam_eps);
  CHECK(back.model.norm_eps == config.model.norm_eps);
  CHECK(back.model.xpos_scale_base == config.model.xpos_scale_base);
  CHECK(config_to_yaml(back).substr(config_to_yaml(back).find('\n')) ==
        config_to_yaml(config).substr(config_to_yaml(config).find('\n')));
}

TEST_CASE("resolved config YAML holds the model's real vocabulary size, not 0") {
  const Config config = load_config("", {});
  REQUIRE(config.model.vocab_size == 0);
  const std::string yaml = resolved_config_yaml(config, 8123);
  CHECK(contains(yaml, "  vocab_size: 8123\n"));
  test::TempDir dir;
  CHECK(load_config(dir.write("r.yaml", yaml), {}).model.vocab_size == 8123);
  // Without a known size it is the plain config.
  CHECK(resolved_config_yaml(config, 0) == config_to_yaml(config));
}
