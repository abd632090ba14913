#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <regex>
#include <string>

#include "support/text_checks.hpp"
#include "core/file_io.hpp"
#include "train/loss_plot.hpp"
#include "support/temp_dir.hpp"

using namespace ln;
using test::count;

namespace {

// Every data coordinate (circle centres, polyline vertices) must lie inside the plot frame,
// which render_loss_svg draws as the rect with fill="none".
void check_inside_frame(const std::string& svg) {
  std::smatch m;
  REQUIRE(std::regex_search(svg, m,
                            std::regex("<rect x=\"([0-9.]+)\" y=\"([0-9.]+)\" width=\"([0-9.]+)\" height=\"([0-9.]+)\" fill=\"none\"")));
  const double x0 = std::stod(m[1]), y0 = std::stod(m[2]), x1 = x0 + std::stod(m[3]), y1 = y0 + std::stod(m[4]);
  auto inside = [&](double x, double y) { return x >= x0 - 0.05 && x <= x1 + 0.05 && y >= y0 - 0.05 && y <= y1 + 0.05; };
  std::regex circle("<circle cx=\"([-0-9.]+)\" cy=\"([-0-9.]+)\" r=\"3.5\"|<circle cx=\"([-0-9.]+)\" cy=\"([-0-9.]+)\" r=\"2.5\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), circle); it != std::sregex_iterator(); ++it) {
    const auto& c = *it;
    const double x = std::stod(c[1].matched ? c[1] : c[3]), y = std::stod(c[2].matched ? c[2] : c[4]);
    CHECK(inside(x, y));
  }
  std::regex poly("points=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), poly); it != std::sregex_iterator(); ++it) {
    std::string pts = (*it)[1];
    std::regex pair("([-0-9.]+),([-0-9.]+)");
    for (auto p = std::sregex_iterator(pts.begin(), pts.end(), pair); p != std::sregex_iterator(); ++p) {
      CHECK(inside(std::stod((*p)[1]), std::stod((*p)[2])));
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
  CHECK(count(svg, "<polyline") == 3);                        // raw, smoothed, validation
  CHECK(count(svg, "r=\"3.5\"") == 6);                        // validation markers
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
