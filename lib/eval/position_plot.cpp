#include "eval/position_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/json.hpp"
#include "train/atomic_file.hpp"
#include "train/loss_plot.hpp"

namespace ln {

namespace {

const char* kColors[] = {"#1f77b4", "#e8710a", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"};
constexpr size_t kMaxFileSeries = 8;

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

// Display width of UTF-8 text in characters (code points).
size_t width_of(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

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
  const double left = 72, right = 24, top = 62, bottom = 54;
  const double pw = width - left - right, ph = height - top - bottom;

  std::vector<std::vector<BucketPoint>> series;
  const size_t shown = std::min(data.series.size(), data.series.size() > 1 ? kMaxFileSeries + 1 : size_t{1});
  for (size_t i = 0; i < shown; ++i) series.push_back(points_of(data.series[i].buckets, data.context));

  // The legend gets its own column right of the plot, so it never hides a curve.
  std::vector<std::string> labels;
  for (size_t i = 0; i < series.size(); ++i) {
    std::string label = data.series[i].label;
    if (width_of(label) > 36) {  // cut after 35 characters, never inside one
      size_t at = 0;
      for (size_t chars = 0; at < label.size() && chars < 35; ++at) chars += (static_cast<unsigned char>(label[at]) & 0xC0) != 0x80;
      while (at < label.size() && (static_cast<unsigned char>(label[at]) & 0xC0) == 0x80) ++at;
      label = label.substr(0, at) + "\u2026";
    }
    labels.push_back(label + (i == 0 ? " (\u00b1 1 s.e.)" : ""));
  }
  if (data.series.size() > series.size()) {
    labels.push_back("(" + std::to_string(data.series.size() - series.size()) + " more files not drawn)");
  }
  size_t longest = 0;
  for (const auto& l : labels) longest = std::max(longest, width_of(l));
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
  auto X = [&](double pos) { return left + (std::log2(pos) + 0.05) / (lx1 + 0.05) * pw; };
  auto Y = [&](double loss) { return top + ph - (loss - ylo) / (yhi - ylo) * ph; };

  std::string svg;
  auto line = [&](const std::string& s) { svg += s + "\n"; };
  line("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
  line("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(total_width) + "\" height=\"" +
       std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(total_width) + " " + std::to_string(height) +
       "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">");
  line("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
  line("<text x=\"" + num(width / 2.0) + "\" y=\"26\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\">" +
       xml_escape(data.title) + "</text>");
  line("<text x=\"" + num(width / 2.0) + "\" y=\"46\" text-anchor=\"middle\" font-size=\"13\" fill=\"#555\">" +
       xml_escape(empty ? std::string("no scored tokens") : data.subtitle) + "</text>");

  // Grid and ticks: x at powers of two (every second or fourth one when crowded).
  const int max_exp = static_cast<int>(std::floor(std::log2(xmax)));
  const int every = max_exp > 24 ? 4 : max_exp > 12 ? 2 : 1;
  const std::string y0 = num(top + ph);
  for (int e = 0; e <= max_exp; e += every) {
    const double xv = X(std::ldexp(1.0, e));
    line("<line x1=\"" + num(xv) + "\" y1=\"" + num(top) + "\" x2=\"" + num(xv) + "\" y2=\"" + y0 +
         "\" stroke=\"#e6e6e6\" stroke-width=\"1\"/>");
    line("<line x1=\"" + num(xv) + "\" y1=\"" + y0 + "\" x2=\"" + num(xv) + "\" y2=\"" + num(top + ph + 5) +
         "\" stroke=\"#333\" stroke-width=\"1\"/>");
    line("<text x=\"" + num(xv) + "\" y=\"" + num(top + ph + 19) + "\" text-anchor=\"middle\" font-size=\"12\">" +
         pow2_label(int64_t{1} << e) + "</text>");
  }
  for (double v : nice_ticks(ylo, yhi, 6)) {
    const std::string y = num(Y(v));
    line("<line x1=\"" + num(left) + "\" y1=\"" + y + "\" x2=\"" + num(left + pw) + "\" y2=\"" + y +
         "\" stroke=\"#e6e6e6\" stroke-width=\"1\"/>");
    line("<line x1=\"" + num(left - 5) + "\" y1=\"" + y + "\" x2=\"" + num(left) + "\" y2=\"" + y +
         "\" stroke=\"#333\" stroke-width=\"1\"/>");
    line("<text x=\"" + num(left - 8) + "\" y=\"" + num(Y(v) + 4) + "\" text-anchor=\"end\" font-size=\"12\">" +
         tick_label(v) + "</text>");
  }
  line("<rect x=\"" + num(left) + "\" y=\"" + num(top) + "\" width=\"" + num(pw) + "\" height=\"" + num(ph) +
       "\" fill=\"none\" stroke=\"#333\" stroke-width=\"1\"/>");
  line("<text x=\"" + num(left + pw / 2) + "\" y=\"" + num(height - 12.0) +
       "\" text-anchor=\"middle\" font-size=\"13\">position in the window (tokens of history, log scale)</text>");
  line("<text transform=\"translate(18," + num(top + ph / 2) +
       ") rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">mean loss (nats)</text>");

  // The training length: beyond it the model extrapolates.
  if (data.train_seq_len > 0 && data.train_seq_len < data.context) {
    const double xv = X(static_cast<double>(data.train_seq_len));
    line("<line x1=\"" + num(xv) + "\" y1=\"" + num(top) + "\" x2=\"" + num(xv) + "\" y2=\"" + y0 +
         "\" stroke=\"#888\" stroke-width=\"1.2\" stroke-dasharray=\"5,4\"/>");
    line("<text x=\"" + num(xv - 4) + "\" y=\"" + num(top + 14) + "\" text-anchor=\"end\" font-size=\"11\" fill=\"#666\">"
         "training length " + std::to_string(data.train_seq_len) + "</text>");
  }

  // Series: per-file curves thin and light first, then the all-files curve with error bars.
  for (size_t i = series.size(); i-- > 0;) {
    const auto& pts = series[i];
    const char* color = kColors[i % (sizeof kColors / sizeof *kColors)];
    const bool main = i == 0;
    if (pts.size() >= 2) {
      std::string s = "<polyline fill=\"none\" stroke=\"" + std::string(color) + "\" stroke-width=\"" +
                      (main ? "2.2" : "1.2") + "\" stroke-opacity=\"" + (main ? "1" : "0.55") +
                      "\" stroke-linejoin=\"round\" points=\"";
      for (const auto& p : pts) s += num(X(p.x)) + "," + num(Y(p.mean)) + " ";
      s.back() = '"';
      line(s + "/>");
    }
    for (const auto& p : pts) {
      if (main && p.se > 0) {
        const double xv = X(p.x);
        line("<line x1=\"" + num(xv) + "\" y1=\"" + num(Y(p.mean - p.se)) + "\" x2=\"" + num(xv) + "\" y2=\"" +
             num(Y(p.mean + p.se)) + "\" stroke=\"" + color + "\" stroke-width=\"1.4\"/>");
        for (double e : {p.mean - p.se, p.mean + p.se}) {
          line("<line x1=\"" + num(xv - 4) + "\" y1=\"" + num(Y(e)) + "\" x2=\"" + num(xv + 4) + "\" y2=\"" +
               num(Y(e)) + "\" stroke=\"" + color + "\" stroke-width=\"1.4\"/>");
        }
      }
      line("<circle cx=\"" + num(X(p.x)) + "\" cy=\"" + num(Y(p.mean)) + "\" r=\"" + (main ? "3.5" : "2") +
           "\" fill=\"" + color + "\"" + (main ? "" : " fill-opacity=\"0.6\"") + "/>");
    }
  }

  // Legend, in its column right of the plot.
  if (!labels.empty() && !empty) {
    const double lh = 10 + 18.0 * static_cast<double>(labels.size());
    const double lx = width - 8, ly = top;
    line("<rect x=\"" + num(lx) + "\" y=\"" + num(ly) + "\" width=\"" + num(legend_w) + "\" height=\"" + num(lh) +
         "\" fill=\"white\" stroke=\"#bbb\"/>");
    for (size_t i = 0; i < labels.size(); ++i) {
      const double y = ly + 14 + 18.0 * static_cast<double>(i);
      if (i < series.size()) {
        const char* color = kColors[i % (sizeof kColors / sizeof *kColors)];
        line("<line x1=\"" + num(lx + 10) + "\" y1=\"" + num(y) + "\" x2=\"" + num(lx + 38) + "\" y2=\"" + num(y) +
             "\" stroke=\"" + color + "\" stroke-width=\"" + (i == 0 ? "2.2" : "1.2") + "\"/>");
      }
      line("<text x=\"" + num(lx + 46) + "\" y=\"" + num(y + 4) + "\" font-size=\"12\">" + xml_escape(labels[i]) +
           "</text>");
    }
  }
  line("</svg>");
  return svg;
}

std::vector<std::string> write_position_outputs(const std::string& prefix, const PositionPlotData& data,
                                                const std::string& header_json_fields) {
  std::string json = "{" + header_json_fields;
  if (!header_json_fields.empty()) json += ",";
  json += "\"context\":" + std::to_string(data.context) + ",\"train_seq_len\":" + std::to_string(data.train_seq_len) +
          ",\"bucket_rule\":\"position = tokens of history (1-based index in the window); bucket k holds positions "
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
