#pragma once
// loss.svg: training and validation loss against step, as a self-contained SVG (no fonts or
// scripts beyond a generic sans-serif family, no dependencies), refreshed by the training loop
// at each evaluation.
//
// What it draws: a title and a one-line summary (last train loss, best validation loss),
// axes with "nice" ticks (1-2-5 steps; step labels like 1.5k), light grid lines, the raw
// train loss as a thin light line plus a centred moving average when there are enough
// points to be noisy, validation loss as a line with markers, and a legend.
// The y axis is logarithmic when every loss is > 0 and max/min >= 3 (the early drop from
// ln(V) ~ 10 to ~3 would otherwise flatten the interesting part), linear otherwise.
// Non-finite values are skipped. One point, no validation points, or no points at all still
// give a valid, readable plot. Very long runs are decimated (min/max per pixel column).
#include <string>
#include <utility>
#include <vector>

#include "train/metrics_log.hpp"

namespace ln {

struct LossPlotData {
  std::vector<std::pair<double, double>> train;  // (step, loss), in step order
  std::vector<std::pair<double, double>> val;    // (step, loss)
  std::string title = "longnet training";
};

// Picks (step, record[train_key]) and (step, record[val_key]) from metrics records; records
// without a step or without the key are ignored.
LossPlotData loss_plot_data(const std::vector<MetricsRecord>& records, const std::string& train_key = "loss",
                            const std::string& val_key = "val_loss");

// The SVG document as text.
std::string render_loss_svg(const LossPlotData& data, int width = 800, int height = 480);

// Renders and writes atomically (temp file + rename), so a viewer never sees half a file.
void write_loss_plot(const std::string& path, const LossPlotData& data);

}  // namespace ln
