// longnet probe copy|passkey end to end on the eval tests' tiny trained run: the JSON, the table,
// the heatmap, and one-line refusals.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>

#include "core/json_reader.hpp"
#include "eval_fixture.hpp"
#include "support/shell_run.hpp"
#include "support/text_checks.hpp"

using namespace ln;
using test::contains;

namespace {

// `longnet --threads 2 args`.
ln::test::CommandResult probe_cli(const std::string& args) {
  return ln::test::run_longnet("--threads 2 " + args);
}

}  // namespace

TEST_CASE("longnet probe copy: one row per distance in the JSON, the table's columns, --extend-patterns") {
  test::TrainedRun& run = test::trained_run();
  const ln::test::CommandResult r = probe_cli("probe copy -m " + run.run_dir + " -f " + run.heldout +
                                              " --passage 6 --distances 3,20 --samples 3 --json -q");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const JsonValue j = parse_json(r.out, "probe output");
  CHECK(j.find("probe")->text == "copy");
  CHECK(j.find("train_seq_len")->text == "16");
  const auto& rows = j.find("rows")->items;
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].find("distance")->text == "3");
  CHECK(rows[1].find("distance")->text == "20");
  CHECK(rows[1].find("window")->text == "35");       // 1 + 6 + (20 + 2) + 6
  CHECK(rows[0].find("predictions")->text == "15");  // 3 samples x 5
  for (const JsonValue& row : rows) {
    const double ratio = std::stod(row.find("ratio")->text);
    CHECK(ratio ==
          doctest::Approx(std::stod(row.find("loss_repeat")->text) / std::stod(row.find("loss_new")->text)));
  }
  // The table, and windows past the widest segment with the schedule continued.
  const ln::test::CommandResult t = probe_cli("probe copy -m " + run.run_dir + " -f " + run.heldout +
                                              " --passage 6 --distances 40 --samples 2 --extend-patterns -q");
  INFO(t.err);
  REQUIRE(t.code == 0);
  CHECK(contains(t.out, "distance   window  loss new  loss repeat   ratio"));
  CHECK(contains(t.out, "--extend-patterns"));
}

TEST_CASE("longnet probe passkey: cells by length and depth, the heatmap SVG") {
  test::TrainedRun& run = test::trained_run();
  const std::string svg = run.dir / "pk.svg";
  const ln::test::CommandResult r =
      probe_cli("probe passkey -m " + run.run_dir + " -f " + run.heldout +
                " --lengths 160,200 --depths 0,1 --samples 2 --svg " + svg + " --json -q");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const JsonValue j = parse_json(r.out, "probe output");
  const auto& cells = j.find("cells")->items;
  REQUIRE(cells.size() == 4);
  CHECK(cells[0].find("length")->text == "160");
  CHECK(cells[1].find("depth")->text == "1");
  for (const JsonValue& c : cells) CHECK(std::stod(c.find("logprob")->text) < 0);
  const std::string picture = test::read_file(svg);
  CHECK(contains(picture, "<svg"));
  CHECK(test::count(picture, "<rect") == 1 + 4 + 1);  // background, 4 cells, frame
  CHECK(contains(picture, "needle depth"));
}

TEST_CASE("longnet probe: refusals are one line with status 2, and write nothing") {
  test::TrainedRun& run = test::trained_run();
  const ln::test::CommandResult short_text = probe_cli("probe copy -m " + run.run_dir + " -f " + run.heldout +
                                                       " --passage 200 --distances 100000 -q");
  CHECK(short_text.code == 2);
  CHECK(contains(short_text.err, "give more text or smaller distances"));
  const ln::test::CommandResult no_folder =
      probe_cli("probe passkey -m " + run.run_dir + " -f " + run.heldout +
                " --lengths 160 --svg /nonexistent/pk.svg -q");
  CHECK(no_folder.code == 2);
  CHECK(contains(no_folder.err, "/nonexistent/pk.svg: the folder /nonexistent does not exist"));
  const ln::test::CommandResult bad_depth =
      probe_cli("probe passkey -m " + run.run_dir + " -f " + run.heldout + " --depths 2");
  CHECK(bad_depth.code == 2);
}
