#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "core/file_io.hpp"
#include "support/temp_dir.hpp"
#include "support/text_checks.hpp"
#include "train/loss_plot.hpp"

using namespace ln;
using test::count;

namespace {

// Every data coordinate (circle centres, polyline vertices) must lie inside the plot frame,
// which render_loss_svg draws as the rect with fill="none".
// The value of attribute `name` in the tag starting at `tag`, or "" when that tag has none.
// (Hand-scanned rather than std::regex: libstdc++'s regex recurses once per character, and a
// long points="..." list overflowed the stack under AddressSanitizer.)
std::string attribute(const std::string& svg, size_t tag, const std::string& name) {
  const size_t end = svg.find('>', tag);
  const std::string key = " " + name + "=\"";
  const size_t at = svg.find(key, tag);
  if (at == std::string::npos || at > end) return "";
  const size_t begin = at + key.size();
  return svg.substr(begin, svg.find('"', begin) - begin);
}

// Start offsets of every `<name ` tag.
std::vector<size_t> tags(const std::string& svg, const std::string& name) {
  std::vector<size_t> out;
  for (size_t at = svg.find("<" + name + " "); at != std::string::npos;
       at = svg.find("<" + name + " ", at + 1)) {
    out.push_back(at);
  }
  return out;
}

void check_inside_frame(const std::string& svg) {
  size_t frame = std::string::npos;
  for (size_t rect : tags(svg, "rect")) {
    if (attribute(svg, rect, "fill") == "none") {
      frame = rect;
      break;
    }
  }
  REQUIRE(frame != std::string::npos);
  const double x0 = std::stod(attribute(svg, frame, "x")), y0 = std::stod(attribute(svg, frame, "y"));
  const double x1 = x0 + std::stod(attribute(svg, frame, "width")),
               y1 = y0 + std::stod(attribute(svg, frame, "height"));
  auto inside = [&](double x, double y) {
    return x >= x0 - 0.05 && x <= x1 + 0.05 && y >= y0 - 0.05 && y <= y1 + 0.05;
  };
  for (size_t circle : tags(svg, "circle")) {
    const std::string r = attribute(svg, circle, "r");
    if (r != "3.5" && r != "2.5") continue;
    CHECK(inside(std::stod(attribute(svg, circle, "cx")), std::stod(attribute(svg, circle, "cy"))));
  }
  for (size_t at = svg.find(" points=\""); at != std::string::npos; at = svg.find(" points=\"", at + 1)) {
    std::istringstream points(attribute(svg, at, "points"));
    for (std::string pair; points >> pair;) {
      const size_t comma = pair.find(',');
      REQUIRE(comma != std::string::npos);
      CHECK(inside(std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1))));
    }
  }
}

LossPlotData typical(int n_train, int val_every) {
  LossPlotData d;
  for (int s = 1; s <= n_train; ++s) {
    const double loss = 2.0 + 8.5 * std::exp(-s / 60.0) + 0.1 * std::sin(s * 1.7);
    d.train.emplace_back(s, loss);
    if (s % val_every == 0) d.val.emplace_back(s, loss + 0.15);
  }
  return d;
}

}  // namespace

TEST_CASE("a typical run: log axis, smoothed train line, validation markers, legend") {
  const std::string svg = render_loss_svg(typical(600, 100));
  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK(svg.find("</svg>") != std::string::npos);
  CHECK(svg.find("loss (log scale)") != std::string::npos);  // 10.5 -> 2 spans > 3x
  CHECK(count(svg, "<polyline") == 3);                       // raw, smoothed, validation
  CHECK(count(svg, "r=\"3.5\"") == 6);                       // validation markers
  CHECK(svg.find("train loss (smoothed)") != std::string::npos);
  CHECK(svg.find("validation loss") != std::string::npos);
  CHECK(svg.find("best val loss") != std::string::npos);
  CHECK(svg.find("nan") == std::string::npos);
  check_inside_frame(svg);
}

TEST_CASE("small ranges use a linear axis; one point; no validation; NaN skipped; empty") {
  LossPlotData d;
  d.train = {{1, 3.2}, {2, std::nan("")}, {3, 3.0}, {4, INFINITY}, {5, 2.9}};
  std::string svg = render_loss_svg(d);
  CHECK(svg.find("loss (log scale)") == std::string::npos);
  CHECK(svg.find(">loss</text>") != std::string::npos);
  CHECK(count(svg, "r=\"2.5\"") == 3);  // NaN and inf points are skipped
  CHECK(svg.find("validation loss") == std::string::npos);
  CHECK(svg.find("nan") == std::string::npos);
  CHECK(svg.find("inf") == std::string::npos);
  check_inside_frame(svg);

  d.train = {{7, 4.5}};
  svg = render_loss_svg(d);
  CHECK(count(svg, "<polyline") == 0);
  CHECK(count(svg, "r=\"2.5\"") == 1);
  CHECK(svg.find(">7</text>") != std::string::npos);  // the step is a labelled tick
  CHECK(svg.find(">6.5</text>") == std::string::npos);
  check_inside_frame(svg);

  d.train.clear();
  d.val = {{100, 3.3}};
  svg = render_loss_svg(d);
  CHECK(count(svg, "r=\"3.5\"") == 1);
  check_inside_frame(svg);

  d.val = {{100, std::nan("")}};
  svg = render_loss_svg(d);
  CHECK(svg.find("no finite loss values yet") != std::string::npos);
  CHECK(svg.find("</svg>") != std::string::npos);
}

TEST_CASE("long runs are decimated and titles are escaped") {
  LossPlotData d = typical(100000, 1000);
  d.title = "run <a&b>";
  const std::string svg = render_loss_svg(d);
  CHECK(svg.size() < 200000);
  CHECK(svg.find("run &lt;a&amp;b&gt;") != std::string::npos);
  check_inside_frame(svg);
}

TEST_CASE("loss_plot_data reads metrics records and write_loss_plot writes atomically") {
  std::vector<MetricsRecord> records;
  for (const char* line : {R"({"step": 1, "loss": 5})", R"({"step": 2, "loss": 4, "val_loss": 4.5})",
                           R"({"loss": 9})", R"({"step": 3, "val_loss": null})"}) {
    records.push_back(*parse_metrics_line(line));
  }
  LossPlotData d = loss_plot_data(records);
  CHECK(d.train == std::vector<std::pair<double, double>>{{1, 5}, {2, 4}});
  REQUIRE(d.val.size() == 2);
  CHECK(d.val[0] == std::pair<double, double>{2, 4.5});
  CHECK(std::isnan(d.val[1].second));  // kept here, skipped when drawn

  test::TempDir dir;
  write_loss_plot(dir.file("loss.svg"), d);
  write_loss_plot(dir.file("loss.svg"), d);
  CHECK(read_file(dir.file("loss.svg")) == render_loss_svg(d));
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file();
  CHECK(files == 1);
}
