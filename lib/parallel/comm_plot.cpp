#include "parallel/comm_plot.hpp"

#include <algorithm>
#include <cmath>

#include "core/svg_plot.hpp"

namespace ln::parallel {

std::string comm_model_svg(const std::vector<CommPoint>& points, const std::string& subtitle) {
  const int W = 760, H = 440;
  SvgWriter svg(W, H);
  PlotArea area = PlotArea::with_margins(W, H);
  area.left += 20;
  area.width -= 20;
  svg.heading(W / 2.0, "Sequence-parallel attention: bytes received per rank and layer (model)", subtitle);
  double xlo = 1e300, xhi = 0, ylo = 1e300, yhi = 0;
  for (const auto& p : points) {
    xlo = std::min(xlo, std::log2(static_cast<double>(p.seq)));
    xhi = std::max(xhi, std::log2(static_cast<double>(p.seq)));
    for (double b : {p.sparse_bytes, p.dense_bytes})
      if (b > 0) ylo = std::min(ylo, std::log10(b)), yhi = std::max(yhi, std::log10(b));
  }
  if (points.empty() || xhi <= xlo) return svg.finish();
  ylo = std::floor(ylo), yhi = std::ceil(yhi);
  auto X = [&](double n) { return area.left + (std::log2(n) - xlo) / (xhi - xlo) * area.width; };
  auto Y = [&](double b) { return area.bottom() - (std::log10(b) - ylo) / (yhi - ylo) * area.height; };
  for (double e = ylo; e <= yhi; e += 1) {
    const double v = std::pow(10.0, e);
    svg.y_tick(area, Y(v),
               v >= 1e9   ? tick_label(v / 1e9) + " GB"
               : v >= 1e6 ? tick_label(v / 1e6) + " MB"
                          : tick_label(v / 1e3) + " kB");
  }
  for (size_t i = 0; i < points.size(); i += 2) {
    const double n = static_cast<double>(points[i].seq);
    svg.x_tick(area, X(n),
               "2^" + std::to_string(static_cast<int>(std::lround(std::log2(n)))) + " (P " +
                   std::to_string(points[i].ranks) + ")");
  }
  svg.frame(area, "sequence length N (tokens), P ranks of N / P tokens each",
            "bytes received (busiest rank)");
  std::vector<std::pair<double, double>> sparse, dense;
  for (const auto& p : points) {
    if (p.sparse_bytes > 0) sparse.emplace_back(X(static_cast<double>(p.seq)), Y(p.sparse_bytes));
    if (p.dense_bytes > 0) dense.emplace_back(X(static_cast<double>(p.seq)), Y(p.dense_bytes));
  }
  svg.polyline(dense, "#d62728", 2, 1);
  svg.polyline(sparse, "#1f77b4", 2.5, 1);
  for (const auto& [x, y] : sparse) svg.circle(x, y, 3, "#1f77b4");
  svg.legend(area.left + 12, area.top + 10, 390, 20,
             {{"LongNet: sparsified K/V of the segment (w/r constant)", "#1f77b4", 2.5, 1, true},
              {"the same segments gathered unsparsified", "#d62728", 2, 1, false}});
  return svg.finish();
}

}  // namespace ln::parallel
