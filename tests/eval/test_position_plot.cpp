#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "core/json_reader.hpp"
#include "eval/position_plot.hpp"
#include "support/text_checks.hpp"

using namespace ln;
using test::contains;

namespace {

// Buckets for positions 1 .. context of one window with loss = 1 + 1/position.
PositionBuckets one_window(int64_t context) {
  PositionBuckets b;
  for (int64_t p = 1; p <= context; ++p) {
    const size_t k = static_cast<size_t>(bucket_of_position(p));
    if (b.buckets.size() <= k) b.buckets.resize(k + 1);
    const double l = 1.0 + 1.0 / static_cast<double>(p);
    b.buckets[k].add_cluster(1, l, l * l);
  }
  return b;
}
}  // namespace

TEST_CASE("position table: buckets clipped at the context, with their means") {
  const JsonValue table = parse_json(position_buckets_json(one_window(10), 10), "table");
  REQUIRE(table.items.size() == 4);  // 1, 2-3, 4-7, 8-10
  const JsonValue& last = table.items[3];
  CHECK(last.find("from")->text == "8");
  CHECK(last.find("to")->text == "10");
  CHECK(last.find("tokens")->text == "3");
  CHECK(std::stod(last.find("mean_loss")->text) == doctest::Approx(1 + (1.0 / 8 + 1.0 / 9 + 1.0 / 10) / 3));
  CHECK(std::stod(table.items[0].find("mean_loss")->text) == doctest::Approx(2.0));
}

TEST_CASE("position plot: a valid SVG in every case") {
  PositionPlotData data;
  data.context = 64;
  data.train_seq_len = 16;
  data.subtitle = "a <test> & more";
  data.series.push_back({"all files", one_window(64)});
  const std::string svg = render_position_svg(data);
  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK(contains(svg, "</svg>"));
  CHECK(contains(svg, "a &lt;test&gt; &amp; more"));
  CHECK(contains(svg, "training length 16"));
  CHECK(contains(svg, "<polyline"));

  PositionPlotData empty;
  empty.context = 8;
  empty.series.push_back({"all files", PositionBuckets{}});
  CHECK(contains(render_position_svg(empty), "no scored tokens"));

  PositionPlotData many = data;
  for (int i = 0; i < 10; ++i) many.series.push_back({"file" + std::to_string(i) + ".txt", one_window(64)});
  const std::string m = render_position_svg(many);
  CHECK(contains(m, "file7.txt"));
  CHECK(!contains(m, "file8.txt"));
  CHECK(contains(m, "(2 more files not drawn)"));
}
