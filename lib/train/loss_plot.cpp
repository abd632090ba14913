#include "train/loss_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "train/atomic_file.hpp"

namespace ln {

namespace {

using Points = std::vector<std::pair<double, double>>;

const char* kTrainColor = "#1f77b4";
const char* kValColor = "#e8710a";

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

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
    const double t = log ? (std::log(v) - std::log(lo)) / (std::log(hi) - std::log(lo)) : (v - lo) / (hi - lo);
    return px0 + t * (px1 - px0);
  }
};

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || target < 1) return ticks;
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const double first = std::ceil(lo / step - 1e-9);
  for (double k = first; k * step <= hi + 1e-9 * step; k += 1) {
    const double v = k * step;
    ticks.push_back(std::abs(v) < 1e-12 * step ? 0.0 : v);
  }
  return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
  static const std::vector<std::vector<double>> sets = {
      {1}, {1, 2, 5}, {1, 1.5, 2, 3, 5, 7}, {1, 2, 3, 4, 5, 6, 7, 8, 9}};
  std::vector<double> ticks;
  if (!(lo > 0) || !(hi > lo)) return ticks;
  for (const auto& mantissas : sets) {
    ticks.clear();
    for (int k = static_cast<int>(std::floor(std::log10(lo))); k <= static_cast<int>(std::ceil(std::log10(hi))); ++k) {
      for (double m : mantissas) {
        const double v = m * std::pow(10.0, k);
        if (v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12)) ticks.push_back(v);
      }
    }
    if (ticks.size() >= 4) break;
  }
  return ticks;
}

std::string tick_label(double v) {
  char buf[32];
  if (v == 0) v = 0;  // no "-0"
  const double a = std::abs(v);
  if (a >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  } else if (a >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.3gk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", v);
  }
  return buf;
}

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

  const double left = 72, right = 24, top = 62, bottom = 54;
  const double pw = width - left - right, ph = height - top - bottom;

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
  xa.px0 = left, xa.px1 = left + pw;
  ya.px0 = top + ph, ya.px1 = top;
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

  std::string svg;
  auto line = [&](const std::string& s) { svg += s + "\n"; };
  line("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
  line("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" +
       std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
       "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">");
  line("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
  line("<text x=\"" + num(width / 2.0) + "\" y=\"26\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\">" +
       xml_escape(data.title) + "</text>");

  // Summary line: last train loss, best validation loss.
  std::string summary;
  if (!train.empty()) {
    summary += "last train loss " + fmt_loss(train.back().second) + " (step " + fmt_step(train.back().first) + ")";
  }
  if (!val.empty()) {
    auto best = std::min_element(val.begin(), val.end(), [](auto& a, auto& b) { return a.second < b.second; });
    if (!summary.empty()) summary += "   \u00b7   ";
    summary += "best val loss " + fmt_loss(best->second) + " (step " + fmt_step(best->first) + ")";
  }
  if (empty) summary = "no finite loss values yet";
  line("<text x=\"" + num(width / 2.0) + "\" y=\"46\" text-anchor=\"middle\" font-size=\"13\" fill=\"#555\">" +
       xml_escape(summary) + "</text>");

  // Grid, ticks and labels.
  std::vector<double> xt = nice_ticks(xa.lo, xa.hi, 7);
  if (xa.hi - xa.lo <= 8) {  // steps are integers: never label 0.5
    xt.clear();
    for (double v = std::ceil(xa.lo); v <= xa.hi; v += 1) xt.push_back(v);
  }
  std::vector<double> yt = ya.log ? log_ticks(ya.lo, ya.hi) : nice_ticks(ya.lo, ya.hi, 6);
  const std::string y0 = num(top + ph), x0 = num(left);
  for (double v : xt) {
    const std::string x = num(xa.map(v));
    line("<line x1=\"" + x + "\" y1=\"" + num(top) + "\" x2=\"" + x + "\" y2=\"" + y0 +
         "\" stroke=\"#e6e6e6\" stroke-width=\"1\"/>");
    line("<line x1=\"" + x + "\" y1=\"" + y0 + "\" x2=\"" + x + "\" y2=\"" + num(top + ph + 5) +
         "\" stroke=\"#333\" stroke-width=\"1\"/>");
    line("<text x=\"" + x + "\" y=\"" + num(top + ph + 19) + "\" text-anchor=\"middle\" font-size=\"12\">" +
         tick_label(v) + "</text>");
  }
  for (double v : yt) {
    const std::string y = num(ya.map(v));
    line("<line x1=\"" + x0 + "\" y1=\"" + y + "\" x2=\"" + num(left + pw) + "\" y2=\"" + y +
         "\" stroke=\"#e6e6e6\" stroke-width=\"1\"/>");
    line("<line x1=\"" + num(left - 5) + "\" y1=\"" + y + "\" x2=\"" + x0 + "\" y2=\"" + y +
         "\" stroke=\"#333\" stroke-width=\"1\"/>");
    line("<text x=\"" + num(left - 8) + "\" y=\"" + num(ya.map(v) + 4) + "\" text-anchor=\"end\" font-size=\"12\">" +
         tick_label(v) + "</text>");
  }
  line("<rect x=\"" + x0 + "\" y=\"" + num(top) + "\" width=\"" + num(pw) + "\" height=\"" + num(ph) +
       "\" fill=\"none\" stroke=\"#333\" stroke-width=\"1\"/>");
  line("<text x=\"" + num(left + pw / 2) + "\" y=\"" + num(height - 12.0) +
       "\" text-anchor=\"middle\" font-size=\"13\">step</text>");
  line("<text transform=\"translate(18," + num(top + ph / 2) +
       ") rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">" +
       std::string(ya.log ? "loss (log scale)" : "loss") + "</text>");

  // Series.
  const int columns = static_cast<int>(pw);
  auto polyline = [&](const Points& pts, const char* color, double widthpx, double opacity) {
    if (pts.size() < 2) return;
    std::string s = "<polyline fill=\"none\" stroke=\"" + std::string(color) + "\" stroke-width=\"" + num(widthpx) +
                    "\" stroke-opacity=\"" + num(opacity) + "\" stroke-linejoin=\"round\" points=\"";
    for (const auto& [x, y] : decimate(pts, xa.lo, xa.hi, columns)) s += num(xa.map(x)) + "," + num(ya.map(y)) + " ";
    s.back() = '"';
    line(s + "/>");
  };
  auto markers = [&](const Points& pts, const char* color, double r) {
    for (const auto& [x, y] : pts) {
      line("<circle cx=\"" + num(xa.map(x)) + "\" cy=\"" + num(ya.map(y)) + "\" r=\"" + num(r) + "\" fill=\"" +
           color + "\"/>");
    }
  };
  const bool smooth = train.size() > 30;
  struct LegendEntry {
    std::string label;
    const char* color;
    double width, opacity;
    bool marker;
  };
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

  if (!legend.empty()) {
    const double lw = 190, lh = 10 + 20.0 * legend.size();
    const double lx = left + pw - lw - 10, ly = top + 10;
    line("<rect x=\"" + num(lx) + "\" y=\"" + num(ly) + "\" width=\"" + num(lw) + "\" height=\"" + num(lh) +
         "\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#bbb\"/>");
    for (size_t i = 0; i < legend.size(); ++i) {
      const LegendEntry& e = legend[i];
      const double y = ly + 15 + 20.0 * i;
      line("<line x1=\"" + num(lx + 10) + "\" y1=\"" + num(y) + "\" x2=\"" + num(lx + 38) + "\" y2=\"" + num(y) +
           "\" stroke=\"" + e.color + "\" stroke-width=\"" + num(e.width) + "\" stroke-opacity=\"" +
           num(e.opacity) + "\"/>");
      if (e.marker) {
        line("<circle cx=\"" + num(lx + 24) + "\" cy=\"" + num(y) + "\" r=\"3\" fill=\"" + e.color + "\"/>");
      }
      line("<text x=\"" + num(lx + 46) + "\" y=\"" + num(y + 4) + "\" font-size=\"12\">" + e.label + "</text>");
    }
  }
  line("</svg>");
  return svg;
}

void write_loss_plot(const std::string& path, const LossPlotData& data) {
  write_file_atomic(path, render_loss_svg(data));
}

}  // namespace ln
