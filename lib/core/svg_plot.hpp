#pragma once
// The pieces shared by longnet's self-contained SVG plots (train/loss_plot: loss.svg;
// eval/position_plot: loss by position): the document with its heading, a plot area with
// grid lines, ticks, labels, frame and axis titles, lines, polylines, markers and a legend box;
// and "nice" tick values with compact labels. Both plots use one look (sizes, colours, the
// generic sans-serif family), so a change here restyles both. Coordinates are pixels; the
// callers map their data to pixels themselves (log, log2 or linear axes).
#include <string>
#include <utility>
#include <vector>

namespace ln {

// Tick values. nice_ticks: 1-2-5 multiples covering [lo, hi], about `target` of them.
// log_ticks: values m*10^k inside [lo, hi] (lo > 0), with mantissas from the sparsest of
// {1}, {1,2,5}, {1,1.5,2,3,5,7}, {1..9} that gives at least 4 ticks.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);
std::vector<double> log_ticks(double lo, double hi);
// Compact tick label: 0.5, 3, 2.25, 1.5k, 20k, 1.2M.
std::string tick_label(double value);

std::string xml_escape(const std::string& text);  // & < > " as entities

// The plot area inside a width x height figure, with the margins both plots use (room for
// the heading above, tick labels and axis titles left and below).
struct PlotArea {
  double left = 72, top = 62, width = 0, height = 0;
  static PlotArea with_margins(int figure_width, int figure_height);
  double right() const { return left + width; }
  double bottom() const { return top + height; }
};

struct LegendEntry {
  std::string label;  // escaped when written
  std::string color;  // of the line sample
  double width = 0;   // of the line sample; 0: a row of text only
  double opacity = 1;
  bool marker = false;  // a dot on the line sample
};

class SvgWriter {
 public:
  // The XML prolog, the <svg> element and a white background.
  SvgWriter(int width, int height);

  // A bold title and a grey subtitle line, centred on x.
  void heading(double x, const std::string& title, const std::string& subtitle);
  // A light grid line across `area` at pixel x (or y), a tick mark outside it and the label.
  void x_tick(const PlotArea& area, double x, const std::string& label);
  void y_tick(const PlotArea& area, double y, const std::string& label);
  // The frame around `area` (the only rect with fill="none"), the x title centred below it
  // and the y title rotated at the left edge.
  void frame(const PlotArea& area, const std::string& x_title, const std::string& y_title);

  // `attributes` are extra SVG attributes written as given, e.g. "stroke-dasharray=\"5,4\"".
  void line(double x1, double y1, double x2, double y2, const std::string& color, double width,
            const std::string& attributes = "");
  // Nothing when fewer than 2 points.
  void polyline(const std::vector<std::pair<double, double>>& points, const std::string& color, double width,
                double opacity);
  void circle(double x, double y, double r, const std::string& color, const std::string& attributes = "");
  // A filled rectangle with its top-left corner at (x, y) (a heatmap cell).
  void rect(double x, double y, double width, double height, const std::string& fill,
            const std::string& attributes = "");
  // `attributes` such as "text-anchor=\"end\" font-size=\"11\""; the text is escaped.
  void text(double x, double y, const std::string& attributes, const std::string& text);
  // A box with its top-left corner at (x, y), `row` pixels per entry.
  void legend(double x, double y, double width, double row, const std::vector<LegendEntry>& entries);

  // The document, closed.
  std::string finish();

 private:
  void element(const std::string& s) { svg_ += s + "\n"; }
  std::string svg_;
  int height_;
};

}  // namespace ln
