// Config validation at load (lib/config/config_checks.cpp, config.cpp): every cross-key problem
// that used to pass `longnet config` and fail only in `train` is refused at load with the
// file:line (or --set) and key; and each refused config is one the model, kernels or trainer
// really refuse (their own checks are the reference), so the loader refuses nothing that works.
// Also: YAML tags, second documents, and configs that are not regular files.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "config/config.hpp"
#include "kernels/attention/attention_spec.hpp"
#include "run/model_builder.hpp"
#include "support/temp_dir.hpp"
#include "support/text_checks.hpp"
#include "train/batch_plan.hpp"

using namespace ln;
using test::contains;
using test::error_of;

namespace {

// What the layers below the config check for the same config (no validate_config): the model
// spec (vocab, widths), the attention spec (patterns, XPOS) and the batch plan.
void downstream_checks(const Config& c) {
  ModelSpec spec = model_spec_from_config(c, c.model.vocab_size > 0 ? c.model.vocab_size : 300);
  spec.validate();
  validate_attention_spec(spec.attention, spec.heads, spec.head_dim());
  const int64_t T = c.data.seq_len;
  const int64_t sequences = c.train.batch_tokens > 0 ? c.train.batch_tokens / T : c.train.batch_size;
  plan_batch(T, c.train.batch_tokens > 0 ? 0 : c.train.batch_size, c.train.batch_tokens,
             sequences / c.train.grad_accum);
  LN_CHECK(sequences % c.train.grad_accum == 0,
           "grad_accum does not divide the batch");  // the trainer's check
}

// The config of `yaml` as parsed, without validate_config (typing errors still throw).
Config parsed_unvalidated(const std::string& yaml) {
  Config c;
  std::string line, section;
  // parse_config_yaml always validates: rebuild the same config through --set, which does not.
  for (size_t at = 0; at < yaml.size();) {
    size_t end = yaml.find('\n', at);
    line = yaml.substr(at, end - at);
    at = end == std::string::npos ? yaml.size() : end + 1;
    if (line.empty()) continue;
    if (line[0] != ' ') {
      section = line.substr(0, line.find(':'));
      continue;
    }
    const size_t colon = line.find(':');
    const std::string key = line.substr(2, colon - 2), value = line.substr(colon + 2);
    apply_override(c, section + "." + key + "=" + value);
  }
  return c;
}

}  // namespace

TEST_CASE("cross-key problems are refused at load, located at the key's line, and really fail downstream") {
  struct Case {
    std::string yaml, expect;
  };
  const std::vector<Case> cases = {
      {"attention:\n  segments: [8, 16]\n  dilations: [1, 32]\n",
       "configs/x.yaml:3: attention.dilations[1] = 32 is larger than its segment attention.segments[1] = 16"},
      {"attention:\n  segments: [64, 32]\n  dilations: [1, 2]\n",
       "configs/x.yaml:2: attention.segments must be ascending but attention.segments[1] = 32 < "
       "attention.segments[0] = 64"},
      {"train:\n  batch_size: 6\n  grad_accum: 4\n",
       "configs/x.yaml:3: train.grad_accum (4) must divide the 6 sequences"},
      {"data:\n  seq_len: 128\ntrain:\n  batch_tokens: 768\n  grad_accum: 4\n",
       "configs/x.yaml:5: train.grad_accum (4) must divide the 6 sequences"},
      {"model:\n  vocab_size: 1\n", "configs/x.yaml:2: model.vocab_size is 1"},
      {"model:\n  heads: 2\n  q_conv: true\n",
       "configs/x.yaml:3: model.q_conv is true but model.kv_conv is 1"},
      {"model:\n  xpos_gamma: 0\n", "configs/x.yaml:2: model.xpos_gamma is 0 but XPOS needs gamma > 0"},
      {"model:\n  d_model: 30\n  heads: 4\n",
       "configs/x.yaml:3: model.d_model (30) must be a multiple of model.heads (4)"},
      {"attention:\n  kind: sparse\n  sparse_block: 16\n  sparse_summary: 32\n",
       "configs/x.yaml:4: attention.sparse_summary (32) must not exceed attention.sparse_block (16)"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.yaml);
    const std::string error = error_of([&] { parse_config_yaml(c.yaml, "configs/x.yaml"); });
    CHECK(error.rfind(c.expect, 0) == 0);
    CAPTURE(error);
    // The reference: the same config without the load-time check fails where train would.
    Config unchecked = parsed_unvalidated(c.yaml);
    CHECK_THROWS_AS(downstream_checks(unchecked), Error);
  }
  // The shipped defaults pass both, so the reference is not simply refusing everything.
  Config defaults = load_config("");
  CHECK_NOTHROW(downstream_checks(defaults));
  // Fixing the one key fixes the config.
  CHECK_NOTHROW(parse_config_yaml("attention:\n  segments: [8, 16]\n  dilations: [1, 16]\n", "x"));
  CHECK_NOTHROW(parse_config_yaml("model:\n  xpos_gamma: 0\n  positions: rope\n", "x"));
}

TEST_CASE("a cross-key problem from --set names the --set that caused it") {
  const std::string error = error_of([&] {
    load_config("", {"attention.segments=[8,16]", "attention.dilations=[1,32]"});
  });
  CHECK(error.rfind("--set attention.dilations=[1,32]: attention.dilations[1] = 32", 0) == 0);
  CHECK(error_of([&] { load_config("", {"train.grad_accum=3"}); }).rfind("--set train.grad_accum=3: ", 0) ==
        0);
  // A key left at its default: the config as a whole.
  CHECK(error_of([&] { load_config("", {"model.heads=3"}); }).rfind("--set model.heads=3: ", 0) == 0);
}

TEST_CASE("explicit YAML tags are refused on every key, so a tag cannot turn a string into a number") {
  CHECK(contains(error_of([] { parse_config_yaml("train:\n  steps: !!str 64\n", "configs/x.yaml"); }),
                 "configs/x.yaml:2: train.steps has the YAML tag"));
  CHECK(contains(error_of([] { parse_config_yaml("train:\n  steps: !!float 64\n", "configs/x.yaml"); }),
                 "configs/x.yaml:2: train.steps has the YAML tag 'tag:yaml.org,2002:float'"));
  CHECK(contains(error_of([] { parse_config_yaml("attention:\n  segments: [!!int 8, 16]\n", "c.yaml"); }),
                 "YAML tag"));
  CHECK(contains(error_of([] { parse_config_yaml("train:\n  out_dir: !!str runs/x\n", "c.yaml"); }),
                 "YAML tag"));
  CHECK(contains(error_of([] { parse_config_yaml("model: !!map {layers: 2}\n", "c.yaml"); }), "YAML tag"));
  // Untagged values, plain or quoted, keep their meaning.
  CHECK(
      parse_config_yaml("train:\n  steps: 64\n  warmup_steps: 1\n  out_dir: \"runs/x\"\n", "x").train.steps ==
      64);
}

TEST_CASE("a second YAML document is refused at the line where it starts") {
  CHECK(error_of([] {
          parse_config_yaml("model:\n  layers: 2\n---\ntrain:\n  steps: 3\n", "configs/x.yaml");
        }).rfind("configs/x.yaml:3: a second YAML document starts here", 0) == 0);
  CHECK(error_of([] {
          parse_config_yaml("---\nmodel:\n  layers: 2\n---\ntrain:\n  steps: 3\n", "c.yaml");
        }).rfind("c.yaml:4: a second YAML document", 0) == 0);
  // One document with an explicit start marker is fine.
  CHECK(parse_config_yaml("---\nmodel:\n  layers: 2\n", "x").model.layers == 2);
}

TEST_CASE(
    "a token no value can start with is an error at its line, not a hang (yaml-cpp 0.7's LoadAll loops)") {
  // Found by `make fuzz`: the ',' is inside no brackets for YAML (the '[' sits inside a plain
  // scalar), so yaml-cpp 0.7 reports a null document there without consuming it, forever;
  // YAML::LoadAll never returned on this text.
  CHECK(error_of([] { parse_config_yaml("a[b\n#c\n ,d\n", "c.yaml"); }) ==
        "c.yaml:3: not valid YAML: no value can start at ',d' (a comma, bracket or other indicator where a "
        "value should be?)");
}

TEST_CASE("a config that is not a regular file is refused at once; a huge one before it is read") {
  test::TempDir dir;
  CHECK(
      contains(error_of([] { load_config("/dev/zero", {}); }), "is a character device, which may never end"));

  // A FIFO: opening it would block until a writer comes. The helper thread unblocks a reader
  // that wrongly opened it (so a regression fails here instead of hanging the test binary).
  const std::string fifo = dir / "config.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::atomic<bool> done{false};
  std::thread unblock([&] {
    for (int i = 0; i < 100 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!done) {
      int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
      if (fd >= 0) ::close(fd);
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  const std::string error = error_of([&] { load_config(fifo, {}); });
  done = true;
  unblock.join();
  CHECK(contains(error, "is a FIFO (named pipe), which may never end"));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));

  const std::string big =
      dir.write("big.yaml", "# " + std::string(size_t(2) << 20, 'x') + "\nmodel:\n  layers: 2\n");
  CHECK(contains(error_of([&] { load_config(big, {}); }), "larger than the limit of 1 MiB"));
}

TEST_CASE("a stray ',' outside brackets is refused before yaml-cpp, which never returns on it") {
  // Found by fuzz/fuzz_config_yaml.cpp (fuzz/regressions/config_yaml/): yaml-cpp 0.7 loops
  // forever on each of these; every one is invalid YAML for a config anyway.
  const std::vector<std::pair<std::string, int>> cases = {
      {",", 1},   {" ,.)8model:", 1}, {"- a\n,", 2},  {"\"x\" ,", 1}, {"&a ,", 1},
      {"&a,", 1}, {"!t,", 1},         {"{a: 1},", 1}, {"[a] ,", 1},   {"model:\n  layers: 2\n---\n,", 4},
  };
  for (const auto& [yaml, line] : cases) {
    CAPTURE(yaml);
    CHECK(error_of([&] {
            parse_config_yaml(yaml, "c.yaml");
          }).rfind("c.yaml:" + std::to_string(line) + ": not valid YAML: a ',' outside [ ] or { }", 0) == 0);
  }
  // Commas where YAML allows them still work: inside brackets, quotes, comments and values.
  Config c = parse_config_yaml(
      "# a, comment\nattention: {segments: [64, 128], dilations: [1,2]}\ndata:\n  train: [\"a,b\", 'c ,d']\n"
      "  cache_dir: x,y  # z ,\n",
      "c.yaml");
  CHECK(c.attention.segments == std::vector<int64_t>{64, 128});
  CHECK(c.data.train == std::vector<std::string>{"a,b", "c ,d"});
  CHECK(c.data.cache_dir == "x,y");
}

TEST_CASE(
    "configs train refused are refused at load: SentencePiece's limits and an XPOS scale that leaves fp32") {
  struct Case {
    std::string yaml, expect;
  };
  const std::vector<Case> cases = {
      {"tokenizer:\n  character_coverage: 0.5\n",
       "configs/x.yaml:2: tokenizer.character_coverage (0.5) is below 0.98, SentencePiece's lowest; use a "
       "value in "
       "[0.98, 1]"},
      {"tokenizer:\n  sample_sentences: 100\n",
       "configs/x.yaml:2: tokenizer.sample_sentences (100) must be more than 100, SentencePiece's lowest"},
      {"model:\n  xpos_scale_base: 1e-300\n",
       "configs/x.yaml:2: model.xpos_scale_base (1e-300) is too small for data.seq_len 512: XPOS decay "
       "factors "
       "would leave fp32; use model.xpos_scale_base >= "},
      {"model:\n  xpos_scale_base: 0.5\n", "configs/x.yaml:2: model.xpos_scale_base (0.5) is too small"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.yaml);
    const std::string error = error_of([&] { parse_config_yaml(c.yaml, "configs/x.yaml"); });
    CAPTURE(error);
    CHECK(error.rfind(c.expect, 0) == 0);
  }
  // The bound is the attention op's own: the smallest scale the message names trains, a bit
  // less does not (the op refuses it at the first forward).
  const std::string error = error_of([&] { parse_config_yaml("model:\n  xpos_scale_base: 1\n", "x"); });
  const double smallest = std::stod(error.substr(error.find(">= ") + 3));
  CHECK_NOTHROW(load_config("", {"model.xpos_scale_base=" + std::to_string(smallest)}));
  Config below = parsed_unvalidated("model:\n  xpos_scale_base: " + std::to_string(smallest * 0.99) + "\n");
  const AttentionSpec spec = attention_spec_from_config(below);
  CHECK(xpos_max_log_factor(spec, below.model.d_model / below.model.heads, below.data.seq_len) >=
        kXposMaxLogFactor);
  // The limits themselves load; a configured tokenizer model makes the tokenizer keys moot.
  CHECK_NOTHROW(load_config("", {"tokenizer.character_coverage=0.98", "tokenizer.sample_sentences=101"}));
  CHECK_NOTHROW(load_config("", {"tokenizer.character_coverage=0.5", "tokenizer.model=x.model"}));
  // The vocabulary advice no longer names a size that can fail on a real corpus.
  const std::string vocab = error_of([&] { load_config("", {"tokenizer.vocab_size=259"}); });
  CHECK(contains(vocab, "one piece per distinct character of the corpus"));
  CHECK_FALSE(contains(vocab, "use at least 300"));
}

TEST_CASE("--set reads YAML flow lists: quoted items keep no quotes, as in a config file") {
  Config c = load_config("", {"data.train=[\"/x\", 'texts/*.txt', \"a,b\"]"});
  CHECK(c.data.train == std::vector<std::string>{"/x", "texts/*.txt", "a,b"});
  CHECK(load_config("", {"data.train=['*.txt', texts/]"}).data.train ==
        std::vector<std::string>{"*.txt", "texts/"});
  CHECK(load_config("", {"data.train='*.txt'"}).data.train == std::vector<std::string>{"*.txt"});
  CHECK(load_config("", {"attention.segments=[64, 128, 512]", "attention.dilations=[1, 2, 4]"})
            .attention.segments == std::vector<int64_t>{64, 128, 512});
  // The same result as the YAML file's form.
  Config from_file = parse_config_yaml("data:\n  train: [\"/x\", 'texts/*.txt']\n", "x");
  CHECK(load_config("", {"data.train=[\"/x\", 'texts/*.txt']"}).data.train == from_file.data.train);
  // A quoted number is a string, as in a file; broken YAML is one located line.
  CHECK(contains(error_of([&] { load_config("", {"attention.dilations=[\"1\", 2, 4]"}); }),
                 "--set attention.dilations=[\"1\", 2, 4]: attention.dilations must be a list of integers"));
  CHECK(error_of([&] {
          load_config("", {"data.train=['a'"});
        }).rfind("--set data.train=['a': not valid YAML", 0) == 0);
}
