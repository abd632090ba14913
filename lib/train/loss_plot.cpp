#include "train/loss_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/file_io.hpp"
#include "core/svg_plot.hpp"

namespace ln {

namespace {

using Points = std::vector<std::pair<double, double>>;

const char* kTrainColor = "#1f77b4";
const char* kValColor = "#e8710a";

// A step for the summary line: exact when whole ("step 1200"), else compact.
std::string fmt_step(double v) {
  char buf[32];
  if (v == std::floor(v) && std::abs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%g", v);
  }
  return buf;
}

std::string fmt_loss(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

Points finite_sorted(const Points& in) {
  Points out;
  for (const auto& p : in) {
    if (std::isfinite(p.first) && std::isfinite(p.second)) out.push_back(p);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

// Centred moving average over about 1% of the points (half-width 2..100): unlike an
// exponential average it does not lag behind the fast early drop of the loss. The window
// shrinks to fit at both ends.
Points moving_average(const Points& pts) {
  const size_t n = pts.size();
  const size_t h = std::clamp<size_t>(n / 100, 2, 100);
  std::vector<double> prefix(n + 1, 0.0);
  for (size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + pts[i].second;
  Points out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t a = i >= h ? i - h : 0, b = std::min(n, i + h + 1);
    out.emplace_back(pts[i].first, (prefix[b] - prefix[a]) / static_cast<double>(b - a));
  }
  return out;
}

// Keeps the lowest and highest point of each of `columns` x-buckets (in x order), so a long
// run's SVG stays small but its envelope is exact.
Points decimate(const Points& pts, double xlo, double xhi, int columns) {
  if (static_cast<int>(pts.size()) <= 2 * columns || xhi <= xlo) return pts;
  Points out;
  size_t i = 0;
  while (i < pts.size()) {
    const int col = static_cast<int>((pts[i].first - xlo) / (xhi - xlo) * columns);
    size_t lo = i, hi = i, j = i;
    for (; j < pts.size() && static_cast<int>((pts[j].first - xlo) / (xhi - xlo) * columns) == col; ++j) {
      if (pts[j].second < pts[lo].second) lo = j;
      if (pts[j].second > pts[hi].second) hi = j;
    }
    out.push_back(pts[std::min(lo, hi)]);
    if (lo != hi) out.push_back(pts[std::max(lo, hi)]);
    i = j;
  }
  return out;
}

struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  double px0 = 0, px1 = 1;  // pixel positions of lo and hi
  double map(double v) const {
    const double t =
        log ? (std::log(v) - std::log(lo)) / (std::log(hi) - std::log(lo)) : (v - lo) / (hi - lo);
    return px0 + t * (px1 - px0);
  }
};

}  // namespace

LossPlotData loss_plot_data(const std::vector<MetricsRecord>& records, const std::string& train_key,
                            const std::string& val_key) {
  LossPlotData d;
  for (const MetricsRecord& r : records) {
    if (!r.has_number("step")) continue;
    const double step = r.number("step", 0);
    if (r.has_number(train_key)) d.train.emplace_back(step, r.number(train_key, 0));
    if (r.has_number(val_key)) d.val.emplace_back(step, r.number(val_key, 0));
  }
  return d;
}

std::string render_loss_svg(const LossPlotData& data, int width, int height) {
  const Points train = finite_sorted(data.train);
  const Points val = finite_sorted(data.val);

  const PlotArea area = PlotArea::with_margins(width, height);

  // Ranges over every finite point.
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  for (const Points* s : {&train, &val}) {
    for (const auto& [x, y] : *s) {
      xmin = std::min(xmin, x), xmax = std::max(xmax, x);
      ymin = std::min(ymin, y), ymax = std::max(ymax, y);
    }
  }
  const bool empty = train.empty() && val.empty();
  if (empty) xmin = 0, xmax = 1, ymin = 0, ymax = 1;

  Axis xa, ya;
  xa.px0 = area.left, xa.px1 = area.right();
  ya.px0 = area.bottom(), ya.px1 = area.top;
  if (xmax - xmin < 1) {  // one step: centre it in a small integer range
    xa.lo = xmin - 1, xa.hi = xmax + 1;
  } else {
    const double pad = 0.02 * (xmax - xmin);
    xa.lo = xmin - pad, xa.hi = xmax + pad;
  }
  ya.log = !empty && ymin > 0 && ymax / ymin >= 3.0;
  if (ya.log) {
    const double pad = std::pow(ymax / ymin, 0.04);
    ya.lo = ymin / pad, ya.hi = ymax * pad;
  } else {
    double span = ymax - ymin;
    if (span <= 0) span = std::max(std::abs(ymax) * 0.2, 1e-3);
    ya.lo = ymin - 0.06 * span, ya.hi = ymax + 0.06 * span;
    if (ymin >= 0 && ya.lo < 0) ya.lo = 0;
  }

  SvgWriter svg(width, height);

  // Summary line: last train loss, best validation loss.
  std::string summary;
  if (!train.empty()) {
    summary +=
        "last train loss " + fmt_loss(train.back().second) + " (step " + fmt_step(train.back().first) + ")";
  }
  if (!val.empty()) {
    auto best =
        std::min_element(val.begin(), val.end(), [](auto& a, auto& b) { return a.second < b.second; });
    if (!summary.empty()) summary += "   \u00b7   ";
    summary += "best val loss " + fmt_loss(best->second) + " (step " + fmt_step(best->first) + ")";
  }
  if (empty) summary = "no finite loss values yet";
  svg.heading(width / 2.0, data.title, summary);

  // Grid, ticks and labels.
  std::vector<double> xt = nice_ticks(xa.lo, xa.hi, 7);
  if (xa.hi - xa.lo <= 8) {  // steps are integers: never label 0.5
    xt.clear();
    for (double v = std::ceil(xa.lo); v <= xa.hi; v += 1) xt.push_back(v);
  }
  for (double v : xt) svg.x_tick(area, xa.map(v), tick_label(v));
  for (double v : ya.log ? log_ticks(ya.lo, ya.hi) : nice_ticks(ya.lo, ya.hi, 6))
    svg.y_tick(area, ya.map(v), tick_label(v));
  svg.frame(area, "step", ya.log ? "loss (log scale)" : "loss");

  // Series.
  const int columns = static_cast<int>(area.width);
  auto polyline = [&](const Points& pts, const char* color, double widthpx, double opacity) {
    Points pixels;
    for (const auto& [x, y] : decimate(pts, xa.lo, xa.hi, columns)) pixels.emplace_back(xa.map(x), ya.map(y));
    svg.polyline(pixels, color, widthpx, opacity);
  };
  auto markers = [&](const Points& pts, const char* color, double r) {
    for (const auto& [x, y] : pts) svg.circle(xa.map(x), ya.map(y), r, color);
  };
  const bool smooth = train.size() > 30;
  std::vector<LegendEntry> legend;
  if (smooth) {
    polyline(train, kTrainColor, 1.0, 0.3);
    polyline(moving_average(train), kTrainColor, 2.0, 1.0);
    legend.push_back({"train loss", kTrainColor, 1.0, 0.3, false});
    legend.push_back({"train loss (smoothed)", kTrainColor, 2.0, 1.0, false});
  } else if (!train.empty()) {
    polyline(train, kTrainColor, 1.8, 1.0);
    markers(train, kTrainColor, 2.5);
    legend.push_back({"train loss", kTrainColor, 1.8, 1.0, true});
  }
  if (!val.empty()) {
    polyline(val, kValColor, 2.0, 1.0);
    if (val.size() <= 200) markers(val, kValColor, 3.5);
    legend.push_back({"validation loss", kValColor, 2.0, 1.0, val.size() <= 200});
  }
  const double legend_width = 190;
  svg.legend(area.right() - legend_width - 10, area.top + 10, legend_width, 20, legend);
  return svg.finish();
}

void write_loss_plot(const std::string& path, const LossPlotData& data) {
  write_file_atomic(path, render_loss_svg(data));
}

}  // namespace ln
