// Resuming a run folder's config (lib/train/run_config.hpp). state.json: tests/run/test_run_state.cpp.
#include <doctest/doctest.h>

#include <cmath>

#include "config/config.hpp"
#include "core/error.hpp"
#include "support/error_message.hpp"
#include "train/run_config.hpp"

using namespace ln;

namespace {}  // namespace

TEST_CASE("config_changes lists differing keys in schema order, skipping locations") {
  Config a, b;
  b.train.out_dir = "elsewhere";
  b.data.cache_dir = "other-cache";
  CHECK(config_changes(a, b).empty());
  b.model.layers = 6;
  b.train.steps = 50;
  auto changes = config_changes(a, b);
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].text() == "model.layers 4 -> 6");
  CHECK(changes[1].key == "train.steps");
  // vocab_size 0 means "the tokenizer's": compared only when both are set.
  b = a;
  b.model.vocab_size = 4096;
  CHECK(config_changes(a, b).empty());
  a.model.vocab_size = 300;
  CHECK(config_changes(a, b).size() == 1);
  CHECK(is_run_identity_key("data.seq_len"));
  CHECK(is_run_identity_key("train.seed"));
  CHECK_FALSE(is_run_identity_key("train.lr"));
  CHECK(override_key(" train.steps = 10") == "train.steps");
}

TEST_CASE("resolve_resumed_config: the run's config wins, --set may change train keys") {
  Config saved;
  saved.train.steps = 300;
  saved.train.lr = 2e-4;
  saved.data.train = {"corpus"};
  saved.train.out_dir = "runs/demo";

  SUBCASE("no --config: the run's own config plus the overrides") {
    Config defaults;  // what load_config gives without a file
    defaults.train.out_dir = "runs/demo";
    saved.data.cache_dir = "my-cache";
    ResumedConfig r = resolve_resumed_config(saved, defaults, {}, false, "runs/demo/step-300");
    CHECK(r.config.train.steps == 300);
    CHECK(r.config.data.cache_dir == "my-cache");  // the run's, not the defaults'
    CHECK(r.config.train.out_dir == "runs/demo");
    CHECK(r.config.train.lr == 2e-4);
    CHECK(r.config.data.train == std::vector<std::string>{"corpus"});
    CHECK(r.changes.empty());
    r = resolve_resumed_config(saved, defaults, {"train.steps=600"}, false, "runs/demo/step-300");
    CHECK(r.config.train.steps == 600);
    REQUIRE(r.changes.size() == 1);
    CHECK(r.changes[0].text() == "train.steps 300 -> 600");
    CHECK(ln::test::error_message([&] {
            resolve_resumed_config(saved, defaults, {"model.layers=2"}, false, "R");
          }).find("with a different model, data or tokenizer: model.layers (4 in the run, 2 now)") !=
          std::string::npos);
  }
  SUBCASE("with --config: every difference is refused unless given with --set") {
    Config given = saved;
    given.train.steps = 1000;
    given.train.lr = 1e-3;
    const std::string msg =
        ln::test::error_message([&] { resolve_resumed_config(saved, given, {}, true, "R"); });
    CHECK(msg.find("train.steps (300 in the run, 1000 now), train.lr (") != std::string::npos);
    CHECK(msg.find("--set train.steps=1000") != std::string::npos);
    ResumedConfig r = resolve_resumed_config(saved, given, {"train.steps=1000", "train.lr=1e-3"}, true, "R");
    CHECK(r.changes.size() == 2);
    given.model.d_model = 128;
    given.tokenizer.vocab_size = 1000;
    CHECK(ln::test::error_message(
              [&] { resolve_resumed_config(saved, given, {"model.d_model=128"}, true, "R"); })
              .find("model.d_model (256 in the run, 128 now), tokenizer.vocab_size (4096 in the run, 1000 "
                    "now)") != std::string::npos);
  }
}

TEST_CASE("resume: parallel.* is how a run is launched, never compared; the launch's value is used") {
  Config saved;
  saved.parallel.sequence = 4;  // trained under mpirun -np 4
  saved.train.out_dir = "runs/demo";
  Config launch = saved;
  launch.parallel.sequence = 2;
  CHECK(config_changes(saved, launch).empty());
  // With --config and no --set: accepted, and the given grid is the one used.
  ResumedConfig r = resolve_resumed_config(saved, launch, {}, true, "R");
  CHECK(r.config.parallel.sequence == 2);
  CHECK(r.changes.empty());
  // Without --config: the run's own config, but the launch's parallel.sequence (1 by default).
  Config defaults;
  defaults.train.out_dir = "runs/demo";
  r = resolve_resumed_config(saved, defaults, {}, false, "R");
  CHECK(r.config.parallel.sequence == 1);
  defaults.parallel.sequence = 2;  // --set parallel.sequence=2
  r = resolve_resumed_config(saved, defaults, {"parallel.sequence=2"}, false, "R");
  CHECK(r.config.parallel.sequence == 2);
  CHECK(r.changes.empty());
}
