#include "core/svg_plot.hpp"

#include <cmath>
#include <cstdio>

namespace ln {

namespace {

// Pixel coordinates: one decimal is finer than any screen and keeps the files small.
std::string px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Stroke widths, radii and opacities: as short as written (2, 0.55, 3.5).
std::string style(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

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
    for (int k = static_cast<int>(std::floor(std::log10(lo)));
         k <= static_cast<int>(std::ceil(std::log10(hi))); ++k) {
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

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

PlotArea PlotArea::with_margins(int figure_width, int figure_height) {
  PlotArea a;  // left 72, top 62 (the defaults); right 24, bottom 54
  a.width = figure_width - a.left - 24;
  a.height = figure_height - a.top - 54;
  return a;
}

SvgWriter::SvgWriter(int width, int height) : height_(height) {
  const std::string w = std::to_string(width), h = std::to_string(height);
  element("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
  element("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w + "\" height=\"" + h +
          "\" viewBox=\"0 0 " + w + " " + h +
          "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">");
  element("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
}

void SvgWriter::heading(double x, const std::string& title, const std::string& subtitle) {
  text(x, 26, "text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\"", title);
  text(x, 46, "text-anchor=\"middle\" font-size=\"13\" fill=\"#555\"", subtitle);
}

void SvgWriter::x_tick(const PlotArea& a, double x, const std::string& label) {
  line(x, a.top, x, a.bottom(), "#e6e6e6", 1);
  line(x, a.bottom(), x, a.bottom() + 5, "#333", 1);
  text(x, a.bottom() + 19, "text-anchor=\"middle\" font-size=\"12\"", label);
}

void SvgWriter::y_tick(const PlotArea& a, double y, const std::string& label) {
  line(a.left, y, a.right(), y, "#e6e6e6", 1);
  line(a.left - 5, y, a.left, y, "#333", 1);
  text(a.left - 8, y + 4, "text-anchor=\"end\" font-size=\"12\"", label);
}

void SvgWriter::frame(const PlotArea& a, const std::string& x_title, const std::string& y_title) {
  element("<rect x=\"" + px(a.left) + "\" y=\"" + px(a.top) + "\" width=\"" + px(a.width) + "\" height=\"" +
          px(a.height) + "\" fill=\"none\" stroke=\"#333\" stroke-width=\"1\"/>");
  text(a.left + a.width / 2, height_ - 12.0, "text-anchor=\"middle\" font-size=\"13\"", x_title);
  element("<text transform=\"translate(18," + px(a.top + a.height / 2) +
          ") rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">" + xml_escape(y_title) + "</text>");
}

void SvgWriter::line(double x1, double y1, double x2, double y2, const std::string& color, double width,
                     const std::string& attributes) {
  element("<line x1=\"" + px(x1) + "\" y1=\"" + px(y1) + "\" x2=\"" + px(x2) + "\" y2=\"" + px(y2) +
          "\" stroke=\"" + color + "\" stroke-width=\"" + style(width) + "\"" +
          (attributes.empty() ? "" : " " + attributes) + "/>");
}

void SvgWriter::polyline(const std::vector<std::pair<double, double>>& points, const std::string& color,
                         double width, double opacity) {
  if (points.size() < 2) return;
  std::string s = "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"" + style(width) +
                  "\" stroke-opacity=\"" + style(opacity) + "\" stroke-linejoin=\"round\" points=\"";
  for (const auto& [x, y] : points) s += px(x) + "," + px(y) + " ";
  s.back() = '"';
  element(s + "/>");
}

void SvgWriter::circle(double x, double y, double r, const std::string& color,
                       const std::string& attributes) {
  element("<circle cx=\"" + px(x) + "\" cy=\"" + px(y) + "\" r=\"" + style(r) + "\" fill=\"" + color + "\"" +
          (attributes.empty() ? "" : " " + attributes) + "/>");
}

void SvgWriter::rect(double x, double y, double width, double height, const std::string& fill,
                     const std::string& attributes) {
  element("<rect x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" + px(width) + "\" height=\"" + px(height) +
          "\" fill=\"" + fill + "\"" + (attributes.empty() ? "" : " " + attributes) + "/>");
}

void SvgWriter::text(double x, double y, const std::string& attributes, const std::string& content) {
  element("<text x=\"" + px(x) + "\" y=\"" + px(y) + "\" " + attributes + ">" + xml_escape(content) +
          "</text>");
}

void SvgWriter::legend(double x, double y, double width, double row,
                       const std::vector<LegendEntry>& entries) {
  if (entries.empty()) return;
  const double height = 10 + row * static_cast<double>(entries.size());
  element("<rect x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" + px(width) + "\" height=\"" + px(height) +
          "\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#bbb\"/>");
  for (size_t i = 0; i < entries.size(); ++i) {
    const LegendEntry& e = entries[i];
    const double ry = y + 5 + row / 2 + row * static_cast<double>(i);  // the middle of row i
    if (e.width > 0) {
      line(x + 10, ry, x + 38, ry, e.color, e.width, "stroke-opacity=\"" + style(e.opacity) + "\"");
      if (e.marker) circle(x + 24, ry, 3, e.color);
    }
    text(x + 46, ry + 4, "font-size=\"12\"", e.label);
  }
}

std::string SvgWriter::finish() {
  element("</svg>");
  return std::move(svg_);
}

}  // namespace ln
