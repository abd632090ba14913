#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/svg_plot.hpp"
#include "support/text_checks.hpp"

using namespace ln;
using test::count;

TEST_CASE("nice_ticks and log_ticks pick round values inside the range") {
  CHECK(nice_ticks(0, 10, 5) == std::vector<double>{0, 2, 4, 6, 8, 10});
  auto t = nice_ticks(1.3, 4.7, 6);  // step 0.5
  REQUIRE(t.size() == 7);
  CHECK(t.front() == doctest::Approx(1.5));
  CHECK(t.back() == doctest::Approx(4.5));
  CHECK(nice_ticks(-19, 980, 5) == std::vector<double>{0, 200, 400, 600, 800});
  CHECK(nice_ticks(5, 5, 6).empty());
  CHECK(log_ticks(1.5, 11) == std::vector<double>{1.5, 2, 3, 5, 7, 10});  // {1,2,5} gives only 3
  CHECK(log_ticks(2, 6) == std::vector<double>{2, 3, 4, 5, 6});
  CHECK(log_ticks(0.5, 2000) == std::vector<double>{1, 10, 100, 1000});  // decades suffice
  CHECK(log_ticks(0.05, 900).size() >= 3);
  CHECK(tick_label(1500) == "1.5k");
  CHECK(tick_label(20000) == "20k");
  CHECK(tick_label(1.2e6) == "1.2M");
  CHECK(tick_label(2.25) == "2.25");
  CHECK(tick_label(0) == "0");
  CHECK(tick_label(-0.0) == "0");
}

TEST_CASE("SvgWriter: escaped text, ticks inside the area, a legend row per entry, closed document") {
  const PlotArea area = PlotArea::with_margins(800, 480);
  CHECK(area.left == 72);
  CHECK(area.right() == 800 - 24);
  CHECK(area.top == 62);
  CHECK(area.bottom() == 480 - 54);

  SvgWriter svg(800, 480);
  svg.heading(400, "a <b> & \"c\"", "sub");
  svg.x_tick(area, 100, "1.5k");
  svg.y_tick(area, 200, "3");
  svg.frame(area, "step", "loss");
  svg.polyline({{80, 100}}, "#123456", 2, 1);  // one point: no line
  svg.polyline({{80, 100}, {90.25, 110}}, "#123456", 2, 0.55);
  svg.legend(500, 70, 190, 20, {{"train", "#111111", 1.8, 1, true}, {"(2 more)", "", 0, 1, false}});
  const std::string s = svg.finish();
  CHECK(s.rfind("<?xml", 0) == 0);
  CHECK(s.size() >= 7);
  CHECK(s.substr(s.size() - 7) == "</svg>\n");
  CHECK(s.find("a &lt;b&gt; &amp; &quot;c&quot;") != std::string::npos);
  CHECK(s.find("<line x1=\"100.0\" y1=\"62.0\" x2=\"100.0\" y2=\"426.0\"") != std::string::npos);  // grid
  CHECK(s.find("<line x1=\"67.0\" y1=\"200.0\" x2=\"72.0\" y2=\"200.0\"") != std::string::npos);   // y tick
  CHECK(s.find("<rect x=\"72.0\" y=\"62.0\" width=\"704.0\" height=\"364.0\" fill=\"none\"") !=
        std::string::npos);
  CHECK(count(s, "<polyline") == 1);
  CHECK(s.find("stroke-opacity=\"0.55\" stroke-linejoin=\"round\" points=\"80.0,100.0 90.2,110.0\"/>") !=
        std::string::npos);
  // Legend: a box 10 + 2 * 20 high, row middles at 70 + 15 and 70 + 35; a text-only row has no sample.
  CHECK(s.find("<rect x=\"500.0\" y=\"70.0\" width=\"190.0\" height=\"50.0\"") != std::string::npos);
  CHECK(s.find("<line x1=\"510.0\" y1=\"85.0\" x2=\"538.0\" y2=\"85.0\" stroke=\"#111111\" "
               "stroke-width=\"1.8\"") != std::string::npos);
  CHECK(s.find("<circle cx=\"524.0\" cy=\"85.0\" r=\"3\"") != std::string::npos);
  CHECK(s.find("<text x=\"546.0\" y=\"109.0\" font-size=\"12\">(2 more)</text>") != std::string::npos);
  CHECK(count(s, "<line x1=\"510.0\"") == 1);
}
