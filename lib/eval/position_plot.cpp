#include "eval/position_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/display_width.hpp"
#include "core/file_io.hpp"
#include "core/json.hpp"
#include "core/svg_plot.hpp"

namespace ln {

namespace {

const char* kColors[] = {"#1f77b4", "#e8710a", "#2ca02c", "#d62728", "#9467bd",
                         "#8c564b", "#e377c2", "#17becf", "#7f7f7f"};
constexpr size_t kMaxFileSeries = 8;

// Powers of two as 1, 2, ..., 512, 1K, 2K, ..., 1M.
std::string pow2_label(int64_t v) {
  if (v >= (int64_t{1} << 20) && v % (int64_t{1} << 20) == 0) return std::to_string(v >> 20) + "M";
  if (v >= 1024 && v % 1024 == 0) return std::to_string(v >> 10) + "K";
  return std::to_string(v);
}

struct BucketPoint {
  double x;  // position (geometric middle of the bucket's range)
  double mean, se;
};

std::vector<BucketPoint> points_of(const PositionBuckets& b, int64_t context) {
  std::vector<BucketPoint> out;
  for (size_t k = 0; k < b.buckets.size(); ++k) {
    const LossStats& s = b.buckets[k];
    if (s.tokens() == 0) continue;
    const double from = static_cast<double>(bucket_first_position(static_cast<int>(k)));
    double to = static_cast<double>(bucket_last_position(static_cast<int>(k)));
    if (context > 0) to = std::min(to, static_cast<double>(context));
    const double se = s.mean_loss_se();
    out.push_back({std::sqrt(from * std::max(from, to)), s.mean_loss(), std::isfinite(se) ? se : 0.0});
  }
  return out;
}

}  // namespace

std::string position_buckets_json(const PositionBuckets& buckets, int64_t context) {
  std::string out = "[";
  for (size_t k = 0; k < buckets.buckets.size(); ++k) {
    const LossStats& s = buckets.buckets[k];
    if (s.tokens() == 0) continue;
    int64_t to = bucket_last_position(static_cast<int>(k));
    if (context > 0) to = std::min(to, context);
    if (out.size() > 1) out += ",";
    out += JsonObject()
               .add("from", bucket_first_position(static_cast<int>(k)))
               .add("to", to)
               .add("tokens", s.tokens())
               .add("mean_loss", s.mean_loss())
               .add("loss_se", s.mean_loss_se())
               .add("perplexity", s.perplexity())
               .str();
  }
  return out + "]";
}

std::string render_position_svg(const PositionPlotData& data, int width, int height) {
  const PlotArea area = PlotArea::with_margins(width, height);

  std::vector<std::vector<BucketPoint>> series;
  const size_t shown = std::min(data.series.size(), data.series.size() > 1 ? kMaxFileSeries + 1 : size_t{1});
  for (size_t i = 0; i < shown; ++i) series.push_back(points_of(data.series[i].buckets, data.context));

  // The legend gets its own column right of the plot, so it never hides a curve.
  std::vector<std::string> labels;
  for (size_t i = 0; i < series.size(); ++i) {
    std::string label = data.series[i].label;
    if (display_width(label) > 36) {  // cut after 35 characters, never inside one
      size_t at = 0;
      for (size_t chars = 0; at < label.size() && chars < 35; ++at)
        chars += (static_cast<unsigned char>(label[at]) & 0xC0) != 0x80;
      while (at < label.size() && (static_cast<unsigned char>(label[at]) & 0xC0) == 0x80) ++at;
      label = label.substr(0, at) + "\u2026";
    }
    labels.push_back(label + (i == 0 ? " (\u00b1 1 s.e.)" : ""));
  }
  if (data.series.size() > series.size()) {
    labels.push_back("(" + std::to_string(data.series.size() - series.size()) + " more files not drawn)");
  }
  size_t longest = 0;
  for (const auto& l : labels) longest = std::max(longest, display_width(l));
  const double legend_w = labels.empty() ? 0 : 56 + 6.8 * static_cast<double>(longest);
  const int total_width = width + static_cast<int>(std::ceil(legend_w)) + (labels.empty() ? 0 : 8);

  // x: log2(position) from 1 to the context (or the last bucket); y: linear loss.
  double xmax = std::max<double>(2.0, static_cast<double>(data.context));
  double ymin = std::numeric_limits<double>::infinity(), ymax = -ymin;
  for (size_t i = 0; i < series.size(); ++i) {
    for (const auto& p : series[i]) {
      xmax = std::max(xmax, p.x);
      const double bar = i == 0 ? p.se : 0.0;  // error bars are drawn on the main curve only
      if (std::isfinite(p.mean)) ymin = std::min(ymin, p.mean - bar), ymax = std::max(ymax, p.mean + bar);
    }
  }
  const bool empty = !(ymax >= ymin);
  if (empty) ymin = 0, ymax = 1;
  double span = ymax - ymin;
  if (span <= 0) span = std::max(std::abs(ymax) * 0.2, 1e-3);
  const double ylo = std::max(ymin >= 0 ? 0.0 : -1e300, ymin - 0.08 * span), yhi = ymax + 0.08 * span;
  const double lx1 = std::log2(xmax) * 1.03 + 0.05;  // a little room right of the last point
  auto X = [&](double pos) { return area.left + (std::log2(pos) + 0.05) / (lx1 + 0.05) * area.width; };
  auto Y = [&](double loss) { return area.bottom() - (loss - ylo) / (yhi - ylo) * area.height; };

  SvgWriter svg(total_width, height);
  svg.heading(width / 2.0, data.title, empty ? std::string("no scored tokens") : data.subtitle);

  // Grid and ticks: x at powers of two (every second or fourth one when crowded).
  const int max_exp = static_cast<int>(std::floor(std::log2(xmax)));
  const int every = max_exp > 24 ? 4 : max_exp > 12 ? 2 : 1;
  for (int e = 0; e <= max_exp; e += every)
    svg.x_tick(area, X(std::ldexp(1.0, e)), pow2_label(int64_t{1} << e));
  for (double v : nice_ticks(ylo, yhi, 6)) svg.y_tick(area, Y(v), tick_label(v));
  svg.frame(area, "position in the window (tokens of history, log scale)", "mean loss (nats)");

  // The training length: beyond it the model extrapolates.
  if (data.train_seq_len > 0 && data.train_seq_len < data.context) {
    const double xv = X(static_cast<double>(data.train_seq_len));
    svg.line(xv, area.top, xv, area.bottom(), "#888", 1.2, "stroke-dasharray=\"5,4\"");
    svg.text(xv - 4, area.top + 14, "text-anchor=\"end\" font-size=\"11\" fill=\"#666\"",
             "training length " + std::to_string(data.train_seq_len));
  }

  // Series: per-file curves thin and light first, then the all-files curve with error bars.
  for (size_t i = series.size(); i-- > 0;) {
    const auto& pts = series[i];
    const char* color = kColors[i % (sizeof kColors / sizeof *kColors)];
    const bool main = i == 0;
    std::vector<std::pair<double, double>> pixels;
    for (const auto& p : pts) pixels.emplace_back(X(p.x), Y(p.mean));
    svg.polyline(pixels, color, main ? 2.2 : 1.2, main ? 1 : 0.55);
    for (const auto& p : pts) {
      if (main && p.se > 0) {
        const double xv = X(p.x);
        svg.line(xv, Y(p.mean - p.se), xv, Y(p.mean + p.se), color, 1.4);
        for (double e : {p.mean - p.se, p.mean + p.se}) svg.line(xv - 4, Y(e), xv + 4, Y(e), color, 1.4);
      }
      svg.circle(X(p.x), Y(p.mean), main ? 3.5 : 2, color, main ? "" : "fill-opacity=\"0.6\"");
    }
  }

  // Legend, in its column right of the plot.
  if (!empty) {
    std::vector<LegendEntry> legend;
    for (size_t i = 0; i < labels.size(); ++i) {
      LegendEntry e;
      e.label = labels[i];
      if (i < series.size()) {
        e.color = kColors[i % (sizeof kColors / sizeof *kColors)];
        e.width = i == 0 ? 2.2 : 1.2;
      }
      legend.push_back(std::move(e));
    }
    svg.legend(width - 8, area.top, legend_w, 18, legend);
  }
  return svg.finish();
}

std::vector<std::string> write_position_outputs(const std::string& prefix, const PositionPlotData& data,
                                                const std::string& header_json_fields) {
  std::string json = "{" + header_json_fields;
  if (!header_json_fields.empty()) json += ",";
  json += "\"context\":" + std::to_string(data.context) +
          ",\"train_seq_len\":" + std::to_string(data.train_seq_len) +
          ",\"bucket_rule\":\"position = tokens of history (1-based index in the window); bucket k holds "
          "positions "
          "[2^k, 2^(k+1) - 1]\",\"series\":[";
  for (size_t i = 0; i < data.series.size(); ++i) {
    if (i) json += ",";
    json += "{\"label\":" + json_escape(data.series[i].label) +
            ",\"buckets\":" + position_buckets_json(data.series[i].buckets, data.context) + "}";
  }
  json += "]}\n";
  const std::string json_path = prefix + ".json", svg_path = prefix + ".svg";
  write_file_atomic(json_path, json);
  write_file_atomic(svg_path, render_position_svg(data));
  return {json_path, svg_path};
}

}  // namespace ln
