// report/paper_report: REPORT.md from a fixed, hand-written `make paper` folder.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "report/paper_report.hpp"
#include "support/temp_dir.hpp"
#include "support/text_checks.hpp"

using namespace ln;

namespace {

void write_eval(const std::string& path, int64_t train_seq_len, double ppl, double se, double bpb,
                double seconds, const std::string& attention, int64_t tokens = 150000) {
  test::write_file(
      path,
      "{\"checkpoint\": \"runs/paper/x/step-000000022\", \"step\": 22, \"parameters\": 4208128, "
      "\"attention\": \"" +
          attention + "\", \"train_seq_len\": " + std::to_string(train_seq_len) +
          ", \"context\": 2048, \"stride\": 2048, \"batch\": 1, \"context_exceeds_training\": false, "
          "\"notes\": [], \"methods\": [{\"method\": \"non_overlapping\", \"context\": 2048, \"stride\": "
          "2048, \"files\": [], \"all\": {\"bytes\": 640000, \"documents\": 4, \"tokens\": " +
          std::to_string(tokens) +
          ", "
          "\"windows\": 80, \"input_tokens\": 150000, \"mean_loss\": 3.7, \"loss_se\": 0.01, "
          "\"perplexity\": " +
          std::to_string(ppl) + ", \"perplexity_se\": " + std::to_string(se) +
          ", \"se_method\": \"cluster\", \"bits_per_byte\": " + std::to_string(bpb) +
          "}}], \"position_files\": [], \"seconds\": " + std::to_string(seconds) + "}\n");
}

void write_positions(const std::string& path, double base) {
  test::write_file(
      path,
      "{\"context\": 32768, \"train_seq_len\": 8192, \"series\": [{\"label\": \"all files\", "
      "\"buckets\": [{\"from\": 1, \"to\": 1, \"tokens\": 10, \"mean_loss\": " +
          std::to_string(base + 2) +
          "}, {\"from\": 2, \"to\": 3, \"tokens\": 20, \"mean_loss\": " + std::to_string(base + 1) +
          "}, {\"from\": 4, \"to\": 7, \"tokens\": 40, \"mean_loss\": " + std::to_string(base) + "}]}]}\n");
}

// The fixed input: three models, three contexts, LongNet extended at 32K.
void write_run(const test::TempDir& dir) {
  const std::string d = dir.path().string();
  test::write_file(
      d + "/paper.jsonl",
      "{\"budget_minutes\": 2, \"nominal_gflops\": 60, \"budget_flops\": 7.2e12, \"eval_files\": \"a.txt (10 "
      "bytes)\"}\n"
      "{\"model\": \"dense-2k\", \"config\": \"configs/paper/dense-2k.yaml\", \"tokens_per_step\": 8192, "
      "\"flops_per_step\": 3.26476235e+11, \"steps_planned\": 22, \"train_seconds\": 200}\n"
      "{\"model\": \"sparse-8k\", \"config\": \"configs/paper/sparse-8k.yaml\", \"tokens_per_step\": 8192, "
      "\"flops_per_step\": 2.92653367e+11, \"steps_planned\": 24, \"train_seconds\": 3700}\n"
      "{\"model\": \"longnet-8k\", \"config\": \"configs/paper/longnet-8k.yaml\", \"tokens_per_step\": 8192, "
      "\"flops_per_step\": 3.19011422e+11, \"steps_planned\": 22, \"train_seconds\": 61}\n");
  const std::string e = d + "/eval/";
  write_eval(e + "dense-2k.c2048.json", 2048, 40, 0.5, 1.2, 10, "dense, positions xpos");
  write_eval(e + "dense-2k.c8192.json", 2048, 50, 0.6, 1.3, 10, "dense, positions xpos");
  write_eval(e + "dense-2k.c32768.json", 2048, 120, 2, 1.7, 100, "dense, positions xpos");
  write_eval(e + "sparse-8k.c2048.json", 8192, 42, 0.5, 1.25, 10,
             "sparse block 512 summary 64, positions xpos");
  write_eval(e + "sparse-8k.c8192.json", 8192, 38, 0.5, 1.15, 10,
             "sparse block 512 summary 64, positions xpos");
  write_eval(e + "sparse-8k.c32768.json", 8192, 60, 1, 1.4, 10,
             "sparse block 512 summary 64, positions xpos");
  write_eval(e + "longnet-8k.c2048.json", 8192, 41, 0.5, 1.22, 10, "dilated");
  write_eval(e + "longnet-8k.c8192.json", 8192, 37, 0.5, 1.1, 10, "dilated");
  write_eval(e + "longnet-8k.c32768.json", 8192, 45, 0.7, 1.3, 10, "dilated");
  write_eval(e + "longnet-8k.c32768.ext.json", 8192, 36.5, 0.4, 1.05, 10, "dilated");
  write_positions(e + "dense-2k.c32768.pos.json", 5);
  write_positions(e + "longnet-8k.c32768.pos.json", 4);
  write_positions(e + "longnet-8k.c32768.ext.pos.json", 3.5);
  // sparse-8k.c32768.pos.json deliberately missing
}

}  // namespace

TEST_CASE("the paper report renders exactly what the files hold") {
  test::TempDir dir;
  write_run(dir);
  const PaperReport r = build_paper_report({dir.path().string(), {2048, 8192, 32768}});
  const std::string& md = r.markdown;
  INFO(md);
  // Perplexity table: one row per model, the extended row after LongNet's, "= plain" up to 8K.
  CHECK(test::contains(md, "| model | trained at | 2K | 8K | 32K |\n"));
  CHECK(test::contains(md, "| dense-2k | 2,048 | 40.00 ± 0.50 | 50.00 ± 0.60 | 120.00 ± 2.00 |\n"));
  CHECK(test::contains(md, "| sparse-8k | 8,192 | 42.00 ± 0.50 | 38.00 ± 0.50 | 60.00 ± 1.00 |\n"));
  CHECK(test::contains(md,
                       "| longnet-8k | 8,192 | 41.00 ± 0.50 | 37.00 ± 0.50 | 45.00 ± 0.70 |\n"
                       "| longnet-8k, extended patterns | 8,192 | = plain | = plain | 36.50 ± 0.40 |\n"));
  CHECK(test::contains(md, "| dense-2k | 1.200 | 1.300 | 1.700 |\n"));
  CHECK(test::contains(md, "| longnet-8k, extended patterns | = plain | = plain | 1.050 |\n"));
  // Compute: FLOPs spent = steps done (the eval's checkpoint step) x FLOPs per step; times.
  CHECK(test::contains(
      md,
      "| dense-2k | dense, positions xpos | 4,208,128 | 8,192 | 3.26e+11 | 22 (22) | 7.18e+12 | "
      "3 min 20 s | 2 min 0 s |\n"));
  CHECK(test::contains(
      md,
      "| sparse-8k | sparse block 512 summary 64, positions xpos | 4,208,128 | 8,192 | 2.93e+11 | "
      "22 (24) | 6.44e+12 | 1 h 1 min | 30 s |\n"));
  CHECK(test::contains(md, "same 150,000 held-out tokens"));
  CHECK(test::contains(md, "No copy probe was run.\n"));  // this run has no probes/ folder
  CHECK(test::contains(md, "No passkey probe was run.\n"));
  CHECK(test::contains(md, "2 min per model at a nominal 60 GFLOP/s = 7.2e+12 training FLOPs per model"));
  // The ordering against the paper's Table 2: 2K differs (dense best here), 8K and 32K agree.
  CHECK(test::contains(md,
                       "| 2K | longnet-8k < dense-2k < sparse-8k | dense-2k < longnet-8k < sparse-8k | no | "
                       "dense-2k < longnet-8k < sparse-8k | no |\n"));
  CHECK(test::contains(md,
                       "| 8K | longnet-8k < sparse-8k < dense-2k | longnet-8k < sparse-8k < dense-2k | yes | "
                       "longnet-8k < sparse-8k < dense-2k | yes |\n"));
  CHECK(test::contains(
      md, "| 32K | longnet-8k < sparse-8k < dense-2k | longnet-8k < sparse-8k < dense-2k | yes |"));
  // The missing curve is listed, not invented; the SVG holds the three curves it has.
  REQUIRE(r.missing.size() == 1);
  CHECK(test::contains(r.missing[0], "sparse-8k.c32768.pos.json"));
  CHECK(test::contains(md, "- `eval/sparse-8k.c32768.pos.json`\n"));
  CHECK(test::contains(r.svg, "longnet-8k, extended patterns"));
  CHECK(test::contains(r.svg, "trained at 2K"));
  CHECK(test::contains(r.svg, "trained at 8K"));
  size_t polylines = 0;
  for (size_t at = r.svg.find("<polyline"); at != std::string::npos; at = r.svg.find("<polyline", at + 1))
    ++polylines;
  CHECK(polylines == 2);  // the extended curve is dashed segments
}

TEST_CASE("the paper report carries every model's probes: copy ratios and passkey accuracy by model") {
  test::TempDir dir;
  write_run(dir);
  const std::string p = dir.path().string() + "/probes/";
  // As `longnet probe ... --json` writes them (the fields the tables read).
  test::write_file(
      p + "longnet-8k.copy.json",
      "{\"probe\": \"copy\", \"checkpoint\": \"runs/paper/longnet-8k/step-000000022\", "
      "\"extend_patterns\": false, \"window\": 0, \"rows\": [{\"distance\": 64, \"ratio\": 0.25}, "
      "{\"distance\": 4096, \"ratio\": 0.8}]}\n");
  test::write_file(
      p + "dense-2k.copy.w2048.json",
      "{\"probe\": \"copy\", \"checkpoint\": \"runs/paper/dense-2k/step-000000022\", "
      "\"extend_patterns\": false, \"window\": 2048, \"rows\": [{\"distance\": 64, \"ratio\": 0.5}]}\n");
  test::write_file(
      p + "longnet-8k.passkey.json",
      "{\"probe\": \"passkey\", \"checkpoint\": \"runs/paper/longnet-8k/step-000000022\", "
      "\"cells\": [{\"length\": 2048, \"depth\": 0, \"found\": 3, \"samples\": 4, \"accuracy\": 0.75}, "
      "{\"length\": 2048, \"depth\": 1, \"found\": 1, \"samples\": 4, \"accuracy\": 0.25}]}\n");
  const std::string md = build_paper_report({dir.path().string(), {2048, 8192, 32768}}).markdown;
  INFO(md);
  // Columns sorted by file name; a distance one model did not probe is a dash, not a number.
  CHECK(test::contains(md,
                       "| distance D | dense-2k, 2048-token window | longnet-8k |\n| ---: | ---: | ---: |\n"
                       "| 64 | 0.500 | 0.250 |\n| 4096 | \u2013 | 0.800 |\n"));
  // 4 of 8 keys over both depths; the worse depth found 1 of 4.
  CHECK(test::contains(md, "| length L | longnet-8k |\n| ---: | ---: |\n| 2048 | 50% (worst depth 25%) |\n"));
}

TEST_CASE("the paper report: a missing evaluation is 'not measured', and bad input is refused") {
  test::TempDir dir;
  write_run(dir);
  std::filesystem::remove(dir.path().string() + "/eval/sparse-8k.c8192.json");
  const PaperReport r = build_paper_report({dir.path().string(), {2048, 8192, 32768}});
  CHECK(test::contains(r.markdown, "| sparse-8k | 8,192 | 42.00 ± 0.50 | not measured | 60.00 ± 1.00 |\n"));
  CHECK(test::contains(r.markdown,
                       "| 8K | longnet-8k < sparse-8k < dense-2k | not measured | - | not measured | - |\n"));
  CHECK(r.missing.size() == 2);

  write_eval(dir.path().string() + "/eval/dense-2k.c8192.json", 2048, 50, 0.6, 1.3, 10, "dense", 149000);
  CHECK(test::contains(build_paper_report({dir.path().string(), {2048, 8192, 32768}}).markdown,
                       "different numbers of tokens (150,000, 149,000)"));

  test::write_file(dir.path().string() + "/eval/dense-2k.c2048.json", "{\"methods\": 3}");
  CHECK_THROWS_WITH_AS(build_paper_report({dir.path().string(), {2048}}),
                       doctest::Contains("dense-2k.c2048.json"), Error);
  test::TempDir empty;
  CHECK_THROWS_WITH_AS(build_paper_report({empty.path().string(), {2048}}),
                       doctest::Contains("paper.jsonl does not exist"), Error);
}

TEST_CASE("longnet report paper DIR writes REPORT.md and the SVG; a folder without a run is one error line") {
  test::TempDir dir;
  write_run(dir);
  const std::string d = dir.path().string();
  const std::string cmd =
      std::string(LONGNET_BINARY) + " report paper " + d + " >" + d + "/out.txt 2>" + d + "/err.txt";
  int status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(test::read_file(d + "/REPORT.md") == build_paper_report({d, {2048, 8192, 32768}}).markdown);
  CHECK(test::contains(test::read_file(d + "/loss_by_position.svg"), "</svg>"));
  CHECK(test::contains(test::read_file(d + "/out.txt"), "1 measurements missing"));

  test::TempDir empty;
  const std::string e = empty.path().string();
  status = std::system(
      (std::string(LONGNET_BINARY) + " report paper " + e + " >/dev/null 2>" + e + "/err.txt").c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  const std::string err = test::read_file(e + "/err.txt");
  CHECK(test::contains(err, "paper.jsonl does not exist"));
  CHECK(test::count(err, "\n") == 1);
}
