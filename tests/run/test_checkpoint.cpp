#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "data/sha256.hpp"
#include "run/checkpoint.hpp"
#include "support/same_bytes.hpp"
#include "support/temp_dir.hpp"
#include "support/text_checks.hpp"

using namespace ln;
using test::contains;
using test::error_of;
using test::TempDir;
namespace fs = std::filesystem;

namespace {

// A small checkpoint whose contents depend on `step`, so checkpoints are distinguishable.
CheckpointData sample(int64_t step, const std::string& tokenizer_path) {
  CheckpointData data;
  Tensor w = Tensor::empty({4, 3});
  for (int64_t i = 0; i < w.numel(); ++i)
    w.data()[i] = static_cast<float>(step) + 0.5f * static_cast<float>(i);
  data.model = {{"tok_embeddings.weight", w}, {"norm.weight", Tensor::full({3}, 1.0f).to(Precision::bf16)}};
  data.optimizer = {{"tok_embeddings.weight.exp_avg", Tensor::full({4, 3}, 0.25f)},
                    {"step", Tensor::scalar(static_cast<float>(step))}};
  data.model_metadata = {{"format", "pt"}};
  data.state_json = "{\"step\": " + std::to_string(step) + ", \"rng\": [1, 2, 3]}";
  data.tokenizer_path = tokenizer_path;
  return data;
}

void flip_byte(const std::string& path, size_t offset) {
  std::string bytes = test::read_file(path);
  REQUIRE(offset < bytes.size());
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0x01);
  test::write_file(path, bytes);
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("checkpoint write/read round trip") {
  TempDir dir;
  std::string tokenizer = dir / "tok.model";
  test::write_file(tokenizer, std::string("sentencepiece\0bytes\xff", 20));
  std::string run = dir / "run";
  CheckpointData data = sample(1200, tokenizer);
  std::string path = write_checkpoint(run, 1200, data);
  CHECK(path == (fs::path(run) / "step-000001200").string());
  CHECK(entries(run) == std::vector<std::string>{"step-000001200"});  // no temporaries left
  CHECK(entries(path) == std::vector<std::string>{"MANIFEST.json", "model.safetensors",
                                                  "optimizer.safetensors", "state.json", "tokenizer.model"});
  CHECK(!checkpoint_problem(path));

  // The manifest records the real size and sha256 of every other file.
  std::string manifest = test::read_file(path + "/MANIFEST.json");
  for (const char* file : {"model.safetensors", "optimizer.safetensors", "state.json", "tokenizer.model"}) {
    std::string p = path + "/" + file;
    CHECK_MESSAGE(contains(manifest, sha256_file(p)), file);
    CHECK(contains(manifest, "\"bytes\": " + std::to_string(fs::file_size(p))));
  }
  CHECK(contains(manifest, "\"format_version\": 1"));

  CheckpointData back = read_checkpoint(path);
  CHECK(back.step == 1200);
  REQUIRE(back.model.size() == data.model.size());
  for (size_t i = 0; i < data.model.size(); ++i) {
    CHECK(back.model[i].first == data.model[i].first);
    CHECK(ln::test::same_bytes(back.model[i].second, data.model[i].second));
  }
  REQUIRE(back.optimizer.size() == data.optimizer.size());
  for (size_t i = 0; i < data.optimizer.size(); ++i) {
    CHECK(back.optimizer[i].first == data.optimizer[i].first);
    CHECK(ln::test::same_bytes(back.optimizer[i].second, data.optimizer[i].second));
  }
  CHECK(back.model_metadata == data.model_metadata);
  CHECK(back.state_json == data.state_json);
  CHECK(back.tokenizer_path == path + "/tokenizer.model");
  CHECK(test::read_file(back.tokenizer_path) == test::read_file(tokenizer));

  // Without a tokenizer there is no tokenizer file, and reading says so.
  std::string bare = write_checkpoint(run, 1300, sample(1300, ""));
  CHECK(!fs::exists(bare + "/tokenizer.model"));
  CHECK(read_checkpoint(bare).tokenizer_path.empty());

  // Saving the same step again replaces it with the new contents.
  CheckpointData again = sample(7, tokenizer);
  again.state_json = "{\"step\": 1200}";  // state.json's step must match the checkpoint's
  write_checkpoint(run, 1200, again);
  CHECK(read_checkpoint(path).model[0].second.data()[0] == 7.0f);
  CHECK(entries(run) == std::vector<std::string>{"step-000001200", "step-000001300"});
}

TEST_CASE("a damaged checkpoint is refused with the reason, and resume falls back to the previous one") {
  TempDir dir;
  std::string tokenizer = dir / "tok.model";
  test::write_file(tokenizer, "tokenizer model bytes");
  for (const std::string file :
       {"model.safetensors", "optimizer.safetensors", "state.json", "tokenizer.model", "MANIFEST.json"}) {
    for (const std::string damage : {"flip", "truncate", "delete"}) {
      CAPTURE(file);
      CAPTURE(damage);
      std::string run = dir / ("run-" + file + "-" + damage);
      std::string older = write_checkpoint(run, 100, sample(100, tokenizer));
      std::string newer = write_checkpoint(run, 200, sample(200, tokenizer));
      std::string target = newer + "/" + file;
      size_t size = fs::file_size(target);
      if (damage == "flip") flip_byte(target, file == "MANIFEST.json" ? size - 20 : size / 2);
      // (A manifest that lost only its final newline still says everything: cut deeper.)
      if (damage == "truncate") fs::resize_file(target, file == "MANIFEST.json" ? size / 2 : size - 1);
      if (damage == "delete") fs::remove(target);

      auto problem = checkpoint_problem(newer);
      REQUIRE(problem);
      if (file != "MANIFEST.json") {
        CHECK(contains(*problem, file));
        if (damage == "flip") CHECK(contains(*problem, "(the file is damaged)"));
        if (damage == "truncate") CHECK(contains(*problem, "(truncated)"));
        if (damage == "delete") CHECK(contains(*problem, file + " is missing"));
      } else if (damage == "delete") {
        CHECK(contains(*problem, "MANIFEST.json is missing"));
      }
      std::string message = error_of([&] { read_checkpoint(newer); });
      CHECK(contains(message, "[checkpoint] " + newer + " is damaged: " + *problem));

      std::vector<std::string> skipped;
      CHECK(latest_intact_checkpoint(run, &skipped) == older);
      REQUIRE(skipped.size() == 1);
      CHECK(skipped[0] == "step-000000200: " + *problem);
      CHECK(read_checkpoint(older).step == 100);
    }
  }
}

TEST_CASE("manifest problems are named") {
  TempDir dir;
  std::string run = dir / "run";
  std::string path = write_checkpoint(run, 5, sample(5, ""));
  std::string manifest = path + "/MANIFEST.json";
  std::string text = test::read_file(manifest);
  auto with = [&](const std::string& from, const std::string& to) {
    std::string changed = text;
    changed.replace(changed.find(from), from.size(), to);
    test::write_file(manifest, changed);
    auto problem = checkpoint_problem(path);
    return problem ? *problem : std::string("(intact)");
  };
  CHECK(contains(with("\"format_version\": 1", "\"format_version\": 2"),
                 "format_version 2 is not the version"));
  CHECK(contains(with("longnet-checkpoint", "other"), "does not say \"format\""));
  CHECK(contains(with("\"model.safetensors\"", "\"../model.safetensors\""),
                 "bad file name '../model.safetensors'"));
  CHECK(contains(with("\"model.safetensors\"", "\"weights.bin\""), "does not list model.safetensors"));
  CHECK(contains(with("{", "["), "not valid JSON"));
  test::write_file(manifest, text);
  CHECK(!checkpoint_problem(path));
  CHECK(checkpoint_problem(dir / "nowhere") == "not a directory");
  // A checkpoint moved to another step's name is not that step.
  fs::rename(path, run + "/step-000000009");
  CHECK(checkpoint_problem(run + "/step-000000009") ==
        "the directory name says step 9 but MANIFEST.json says step 5");
  fs::rename(run + "/step-000000009", path);
  // A tokenizer that cannot be read fails the write and leaves nothing behind.
  CHECK(contains(error_of([&] { write_checkpoint(run, 6, sample(6, dir / "missing.model")); }),
                 "missing.model"));
  CHECK(entries(run) == std::vector<std::string>{"step-000000005"});
  // Invalid state JSON is refused before anything is written.
  CheckpointData bad = sample(6, "");
  bad.state_json = "{step: 6}";
  CHECK(contains(error_of([&] { write_checkpoint(run, 6, bad); }), "state.json given to write_checkpoint"));
  CHECK(entries(run) == std::vector<std::string>{"step-000000005"});
}

TEST_CASE("listing, leftover temporaries and pruning") {
  TempDir dir;
  std::string run = dir / "run";
  CHECK(list_checkpoints(run).empty());
  CHECK(!latest_intact_checkpoint(run));
  prune_checkpoints(run, 2);  // no run dir: nothing to do, no error

  for (int64_t step : {30, 10, 20}) write_checkpoint(run, step, sample(step, ""));
  // A crash mid-write leaves a .tmp directory (possibly with a plausible manifest inside); a
  // newer-looking one must not be picked, and other names are not checkpoints.
  fs::create_directories(run + "/.tmp-step-000000040");
  fs::copy(run + "/step-000000030", run + "/.tmp-step-000000040",
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  fs::create_directories(run + "/step-00000x050");
  test::write_file(run + "/step-000000060", "a file, not a directory");
  auto listed = list_checkpoints(run);
  REQUIRE(listed.size() == 3);
  CHECK(listed[0].step == 10);
  CHECK(listed[1].step == 20);
  CHECK(listed[2].step == 30);
  CHECK(listed[2].path == (fs::path(run) / "step-000000030").string());
  CHECK(latest_intact_checkpoint(run) == listed[2].path);

  // The next write cleans the leftover.
  write_checkpoint(run, 40, sample(40, ""));
  CHECK(!fs::exists(run + "/.tmp-step-000000040"));
  CHECK(read_checkpoint(run + "/step-000000040").step == 40);

  // Pruning keeps the newest N by step (and keep_last 0 keeps all).
  for (int64_t step : {50, 60})
    write_checkpoint(run + "2/", step, sample(step, ""));  // trailing slash is fine
  prune_checkpoints(run + "2", 0);
  CHECK(list_checkpoints(run + "2").size() == 2);
  fs::create_directories(run + "/.tmp-pruned-step-000000001");
  prune_checkpoints(run, 2);
  auto kept = list_checkpoints(run);
  REQUIRE(kept.size() == 2);
  CHECK(kept[0].step == 30);
  CHECK(kept[1].step == 40);
  CHECK(!checkpoint_problem(kept[0].path));
  CHECK(entries(run) ==
        std::vector<std::string>{"step-000000030", "step-000000040", "step-000000060", "step-00000x050"});
  prune_checkpoints(run, 5);
  CHECK(list_checkpoints(run).size() == 2);
  CHECK(checkpoint_dir_name(1200) == "step-000001200");
  CHECK(checkpoint_dir_name(12345678901) == "step-12345678901");
  CHECK(contains(error_of([&] { write_checkpoint(run, -1, sample(0, "")); }), "step must be >= 0"));
}
