#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/file_io.hpp"
#include "support/temp_dir.hpp"
#include "train/metrics_log.hpp"

using namespace ln;

namespace {
std::vector<int64_t> steps_of(const std::vector<MetricsRecord>& records) {
  std::vector<int64_t> out;
  for (const auto& r : records) out.push_back(r.step().value_or(-1));
  return out;
}
}  // namespace

TEST_CASE("parse_metrics_line reads flat objects and rejects torn or trailing text") {
  auto r = parse_metrics_line(
      R"({"step": 120, "loss": 3.5, "lr": 8e-04, "kind": "tr\"ain\u00e9", "bad": null, "ok": true})");
  REQUIRE(r);
  CHECK(r->step() == 120);
  CHECK(r->number("loss", 0) == 3.5);
  CHECK(r->number("lr", 0) == 8e-4);
  CHECK(r->strings.at("kind") == "tr\"ain\xc3\xa9");
  CHECK(std::isnan(r->number("bad", 0)));
  CHECK(r->number("ok", 0) == 1.0);
  CHECK(r->number("missing", -7) == -7);
  // Nested values are skipped, not fatal.
  r = parse_metrics_line(R"({"step": 3, "cfg": {"a": [1, {"b": "}"}]}, "x": -1.5e2})");
  REQUIRE(r);
  CHECK(r->number("x", 0) == -150);
  CHECK(parse_metrics_line("{}"));
  CHECK_FALSE(parse_metrics_line(R"({"step": 12, "loss": 3.)"));
  CHECK_FALSE(parse_metrics_line(R"({"step": 12, "lo)"));
  CHECK_FALSE(parse_metrics_line(R"({"step": 12} x)"));
  CHECK_FALSE(parse_metrics_line(R"({"step": 12,})"));
  CHECK_FALSE(parse_metrics_line(R"({"step" 12})"));
  CHECK_FALSE(parse_metrics_line(""));
  CHECK_FALSE(parse_metrics_line(R"({"step": 1.5})")->step());
}

TEST_CASE("MetricsLog writes one readable line per entry, immediately") {
  test::TempDir dir;
  const std::string path = dir.file("metrics.jsonl");
  {
    MetricsLog log = MetricsLog::create(path);
    log.append(JsonObject().add("step", 1).add("loss", 4.25));
    // Visible before the log is closed (no user-space buffering).
    CHECK(read_file(path) == "{\"step\": 1, \"loss\": 4.25}\n");
    log.append(JsonObject().add("step", 2).add("loss", std::nan("")).add("note", "x"));
  }
  int64_t bad = -1;
  auto records = read_metrics(path, &bad);
  CHECK(bad == 0);
  CHECK(steps_of(records) == std::vector<int64_t>{1, 2});
  CHECK(std::isnan(records[1].number("loss", 0)));
  CHECK(records[1].strings.at("note") == "x");
  // create() starts over.
  { MetricsLog log = MetricsLog::create(path); }
  CHECK(read_metrics(path).empty());
  CHECK(read_metrics(dir.file("absent.jsonl")).empty());
}

TEST_CASE("a torn last line is skipped when reading") {
  test::TempDir dir;
  const std::string path = dir.file("metrics.jsonl");
  test::write_file(path, "{\"step\": 1, \"loss\": 5}\n{\"step\": 2, \"loss\": 4}\n{\"step\": 3, \"lo");
  int64_t bad = 0;
  auto records = read_metrics(path, &bad);
  CHECK(steps_of(records) == std::vector<int64_t>{1, 2});
  CHECK(bad == 1);
}

TEST_CASE("resume drops entries after the resumed step and the torn line, then appends") {
  test::TempDir dir;
  const std::string path = dir.file("metrics.jsonl");
  std::string text = "{\"event\": \"start\"}\n";
  for (int s = 1; s <= 10; ++s) text += "{\"step\": " + std::to_string(s) + ", \"loss\": 1}\n";
  text += "{\"step\": 8, \"val_loss\": 2}\n{\"step\": 11, \"lo";  // crash mid-line
  test::write_file(path, text);
  {
    MetricsLog log = MetricsLog::resume(path, 6);
    log.append(JsonObject().add("step", 7).add("loss", 0.5));
  }
  auto records = read_metrics(path);
  REQUIRE(records.size() == 8);
  CHECK(records[0].strings.at("event") == "start");  // lines without a step are kept
  CHECK(steps_of(records) == std::vector<int64_t>{-1, 1, 2, 3, 4, 5, 6, 7});
  CHECK(records.back().number("loss", 0) == 0.5);
  // Resuming with no file yet creates it.
  { MetricsLog log = MetricsLog::resume(dir.file("new.jsonl"), 100); }
  CHECK(std::filesystem::exists(dir.file("new.jsonl")));
  // No temp files are left behind.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file();
  CHECK(files == 2);
}

TEST_CASE("write_file_atomic replaces the whole file") {
  test::TempDir dir;
  const std::string path = dir.file("a.txt");
  write_file_atomic(path, "first version, long");
  write_file_atomic(path, "second");
  CHECK(read_file(path) == "second");
  CHECK_THROWS(write_file_atomic(dir.file("no/such/dir.txt"), "x"));
}
