#include "probe/probe_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/json.hpp"
#include "core/svg_plot.hpp"

namespace ln {

namespace {

std::string printf_text(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

std::string file_names(const std::vector<std::string>& paths) {
  std::string s;
  for (size_t i = 0; i < paths.size() && i < 3; ++i)
    s += (i ? ", " : "") + std::filesystem::path(paths[i]).filename().string();
  if (paths.size() > 3) s += " and " + std::to_string(paths.size() - 3) + " more";
  return s;
}

std::string header_lines(const std::string& probe, const ProbeHeader& h) {
  std::string s = probe + " probe: " + h.checkpoint + " (step " + std::to_string(h.step) + ", trained at " +
                  std::to_string(h.train_seq_len) + " tokens; " + h.attention + ")\n";
  s +=
      "text: " + file_names(h.text) + " (" + std::to_string(h.text_tokens) + " tokens); precision " +
      h.precision + "; seed " + std::to_string(h.seed) +
      (h.extend_patterns ? "; --extend-patterns: windows longer than the widest segment continue the schedule"
                         : "") +
      "\n";
  return s;
}

std::string header_json(const std::string& probe, const ProbeHeader& h) {
  std::string files = "[";
  for (size_t i = 0; i < h.text.size(); ++i) files += (i ? "," : "") + json_escape(h.text[i]);
  files += "]";
  JsonObject o;
  o.add("probe", probe)
      .add("checkpoint", h.checkpoint)
      .add("step", h.step)
      .add("train_seq_len", h.train_seq_len)
      .add("attention", h.attention)
      .add("extend_patterns", h.extend_patterns)
      .add("precision", h.precision)
      .add_raw("text", files)
      .add("text_tokens", h.text_tokens)
      .add("seed", h.seed)
      .add("seconds", h.seconds);
  std::string s = o.str();
  s.pop_back();  // the caller appends its own fields and the closing brace
  return s;
}

}  // namespace

std::string copy_probe_table(const ProbeHeader& header, const CopyProbeSettings& settings,
                             const std::vector<CopyProbeRow>& rows) {
  std::string s = header_lines("copy", header);
  s += "a passage of " + std::to_string(settings.passage) +
       " tokens repeated after D tokens of the text that follows it, against the same passage at the same "
       "place when it is new; " +
       std::to_string(settings.samples) + " samples per distance" +
       (std::min(settings.samples, settings.alignments) > 1
            ? " (gaps D .. D+" + std::to_string(std::min(settings.samples, settings.alignments) - 1) + ")"
            : "") +
       (settings.window > 0 ? "; at most " + std::to_string(settings.window) + " tokens of history" : "") +
       "; ratio = loss repeated / loss new (1: no use of the first copy, 0: a perfect copy); copier n: "
       "what an ideal copier matching the last n tokens gets right on the repeat (a model that matches one "
       "token copies like copier 1)\n";
  char line[256];
  std::snprintf(line, sizeof line, "%9s %8s %9s %12s %7s %11s %14s %9s %9s %9s\n", "distance", "window",
                "loss new", "loss repeat", "ratio", "greedy new", "greedy repeat", "copier 1", "copier 2",
                "copier 3");
  s += line;
  for (const CopyProbeRow& r : rows) {
    std::snprintf(line, sizeof line,
                  "%9lld %8lld %9.3f %12.3f %7.3f %10.1f%% %13.1f%% %8.1f%% %8.1f%% %8.1f%%\n",
                  static_cast<long long>(r.distance), static_cast<long long>(r.longest), r.loss_new,
                  r.loss_repeat, r.ratio, 100 * r.greedy_new, 100 * r.greedy_repeat, 100 * r.copier_repeat[0],
                  100 * r.copier_repeat[1], 100 * r.copier_repeat[2]);
    s += line;
  }
  return s;
}

std::string copy_probe_json(const ProbeHeader& header, const CopyProbeSettings& settings,
                            const std::vector<CopyProbeRow>& rows) {
  std::string list = "[";
  for (size_t i = 0; i < rows.size(); ++i) {
    const CopyProbeRow& r = rows[i];
    list += (i ? "," : "") + JsonObject()
                                 .add("distance", r.distance)
                                 .add("window", r.longest)
                                 .add("samples", r.samples)
                                 .add("predictions", r.predictions)
                                 .add("loss_new", r.loss_new)
                                 .add("loss_repeat", r.loss_repeat)
                                 .add("ratio", r.ratio)
                                 .add("greedy_new", r.greedy_new)
                                 .add("greedy_repeat", r.greedy_repeat)
                                 .add("copier1_repeat", r.copier_repeat[0])
                                 .add("copier2_repeat", r.copier_repeat[1])
                                 .add("copier3_repeat", r.copier_repeat[2])
                                 .str();
  }
  list += "]";
  JsonObject tail;
  tail.add("passage", settings.passage)
      .add("samples", settings.samples)
      .add("alignments", settings.alignments)
      .add("window", settings.window)
      .add_raw("rows", list);
  return header_json("copy", header) + "," + tail.str().substr(1);
}

std::string passkey_probe_table(const ProbeHeader& header, const PasskeyProbeSettings& settings,
                                const std::vector<PasskeyCell>& cells) {
  std::string s = header_lines("passkey", header);
  s += "a key of " + std::to_string(settings.digits) +
       " digits at depth p of a window of L tokens, asked for " + "at the end; " +
       std::to_string(settings.samples) + " samples per cell" +
       (settings.window > 0 ? "; at most " + std::to_string(settings.window) + " tokens of history" : "") +
       "\n";
  auto grid = [&](const char* title, auto&& value) {
    std::string g = std::string(title) + "\n";
    char cell[64];
    std::snprintf(cell, sizeof cell, "%7s", "depth");
    g += cell;
    for (int64_t l : settings.lengths) {
      std::snprintf(cell, sizeof cell, " %8lld", static_cast<long long>(l));
      g += cell;
    }
    g += "\n";
    for (size_t di = 0; di < settings.depths.size(); ++di) {
      std::snprintf(cell, sizeof cell, "%7.2f", settings.depths[di]);
      g += cell;
      for (size_t li = 0; li < settings.lengths.size(); ++li)
        g += " " + value(cells[li * settings.depths.size() + di]);
      g += "\n";
    }
    return g;
  };
  s += grid("accuracy (greedy decoding writes the whole key), by needle depth (rows) and window length:",
            [](const PasskeyCell& c) { return printf_text("%7.0f%%", 100 * c.accuracy); });
  s += grid("mean log-probability of the key (nats):",
            [](const PasskeyCell& c) { return printf_text("%8.2f", c.logprob); });
  int64_t found = 0, total = 0;
  for (const PasskeyCell& c : cells) found += c.found, total += c.samples;
  s += "overall: " + std::to_string(found) + " of " + std::to_string(total) + " keys found (" +
       printf_text("%.1f", total ? 100.0 * static_cast<double>(found) / static_cast<double>(total) : 0.0) +
       "%)\n";
  return s;
}

std::string passkey_probe_json(const ProbeHeader& header, const PasskeyProbeSettings& settings,
                               const std::vector<PasskeyCell>& cells) {
  std::string list = "[";
  for (size_t i = 0; i < cells.size(); ++i) {
    const PasskeyCell& c = cells[i];
    list += (i ? "," : "") + JsonObject()
                                 .add("length", c.length)
                                 .add("depth", c.depth)
                                 .add("samples", c.samples)
                                 .add("found", c.found)
                                 .add("accuracy", c.accuracy)
                                 .add("logprob", c.logprob)
                                 .str();
  }
  list += "]";
  JsonObject tail;
  tail.add("digits", settings.digits)
      .add("samples", settings.samples)
      .add("window", settings.window)
      .add_raw("cells", list);
  return header_json("passkey", header) + "," + tail.str().substr(1);
}

namespace {

// Red (0) -> yellow (0.5) -> green (1), the needle-in-a-haystack colours.
std::string accuracy_colour(double a) {
  a = std::clamp(a, 0.0, 1.0);
  const double r = a < 0.5 ? 215 : 215 - (a - 0.5) * 2 * (215 - 26);
  const double g = a < 0.5 ? 48 + a * 2 * (190 - 48) : 190 - (a - 0.5) * 2 * (190 - 150);
  const double b = a < 0.5 ? 39 + a * 2 * (60 - 39) : 60 + (a - 0.5) * 2 * (80 - 60);
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(std::lround(r)),
                static_cast<int>(std::lround(g)), static_cast<int>(std::lround(b)));
  return buf;
}

}  // namespace

std::string passkey_heatmap_svg(const ProbeHeader& header, const PasskeyProbeSettings& settings,
                                const std::vector<PasskeyCell>& cells) {
  const size_t nl = settings.lengths.size(), nd = settings.depths.size();
  const int width = static_cast<int>(std::max<size_t>(480, 160 + 80 * nl));
  const int height = static_cast<int>(std::max<size_t>(360, 150 + 44 * nd));
  SvgWriter svg(width, height);
  PlotArea area = PlotArea::with_margins(width, height);
  svg.heading(width / 2.0,
              "Passkey retrieval: " + std::filesystem::path(header.checkpoint).filename().string(),
              "step " + std::to_string(header.step) + " \u00b7 trained at " +
                  std::to_string(header.train_seq_len) + " tokens \u00b7 " +
                  std::to_string(settings.samples) + " keys of " + std::to_string(settings.digits) +
                  " digits per cell" + (header.extend_patterns ? " \u00b7 extended patterns" : ""));
  const double cw = area.width / static_cast<double>(nl), ch = area.height / static_cast<double>(nd);
  for (size_t li = 0; li < nl; ++li) {
    for (size_t di = 0; di < nd; ++di) {
      const PasskeyCell& c = cells[li * nd + di];
      const double x = area.left + cw * static_cast<double>(li), y = area.top + ch * static_cast<double>(di);
      svg.rect(x, y, cw, ch, accuracy_colour(c.accuracy), "stroke=\"#fff\" stroke-width=\"1\"");
      svg.text(x + cw / 2, y + ch / 2 + 4, "text-anchor=\"middle\" font-size=\"12\"",
               printf_text("%.0f%%", 100 * c.accuracy));
    }
  }
  for (size_t li = 0; li < nl; ++li)
    svg.text(area.left + cw * (static_cast<double>(li) + 0.5), area.bottom() + 18,
             "text-anchor=\"middle\" font-size=\"11\"",
             tick_label(static_cast<double>(settings.lengths[li])));
  for (size_t di = 0; di < nd; ++di)
    svg.text(area.left - 8, area.top + ch * (static_cast<double>(di) + 0.5) + 4,
             "text-anchor=\"end\" font-size=\"11\"", printf_text("%.0f%%", 100 * settings.depths[di]));
  svg.frame(area, "window length (tokens)", "needle depth");
  return svg.finish();
}

}  // namespace ln
