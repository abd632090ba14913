#include "report/paper_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "core/json_reader.hpp"
#include "core/number_format.hpp"
#include "core/svg_plot.hpp"
#include "report/probe_tables.hpp"

namespace ln {

namespace {

namespace fs = std::filesystem;

const char* kColors[] = {"#d62728", "#e8710a", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b"};

// The paper's Table 2 (Ding et al. 2023), perplexity at 2K / 8K / 32K.
struct PaperRow {
  const char* model;
  double ppl[3];
};
const PaperRow kPaper[] = {
    {"dense-2k", {4.24, 5.07, 11.29}}, {"sparse-8k", {4.39, 3.35, 8.79}}, {"longnet-8k", {4.23, 3.24, 3.36}}};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

double num(const JsonValue& v, const std::string& key, const std::string& where) {
  const JsonValue* m = v.find(key);
  LN_CHECK(m && m->kind == JsonValue::Kind::number, where, ": no number \"", key,
           "\"; re-run make paper to write it again");
  return std::stod(m->text);
}

std::string str(const JsonValue& v, const std::string& key) {
  const JsonValue* m = v.find(key);
  return m && m->is_string() ? m->text : std::string();
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string ctx_label(int64_t c) {
  return c % 1024 == 0 ? std::to_string(c / 1024) + "K" : std::to_string(c);
}

std::string duration(double seconds) {
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
}

struct Cell {
  bool present = false;
  double ppl = 0, ppl_se = 0, bpb = 0;
  int64_t tokens = 0, step = 0, train_seq_len = 0, parameters = 0;
  double seconds = 0;
  std::string attention;
};

Cell read_eval(const std::string& path) {
  Cell c;
  if (!fs::exists(path)) return c;
  const JsonValue v = parse_json(read_text(path), path);
  const JsonValue* methods = v.find("methods");
  LN_CHECK(methods && methods->is_array() && !methods->items.empty(), path,
           ": no \"methods\"; not a longnet eval --json output");
  const JsonValue* all = methods->items[0].find("all");
  LN_CHECK(all && all->is_object(), path, ": no \"all\" in methods[0]; not a longnet eval --json output");
  c.present = true;
  c.ppl = num(*all, "perplexity", path);
  c.ppl_se = num(*all, "perplexity_se", path);
  c.bpb = num(*all, "bits_per_byte", path);
  c.tokens = static_cast<int64_t>(num(*all, "tokens", path));
  c.step = static_cast<int64_t>(num(v, "step", path));
  c.train_seq_len = static_cast<int64_t>(num(v, "train_seq_len", path));
  c.parameters = static_cast<int64_t>(num(v, "parameters", path));
  c.seconds = num(v, "seconds", path);
  c.attention = str(v, "attention");
  return c;
}

struct Curve {
  std::string label;
  bool dashed = false;
  std::vector<std::pair<double, double>> points;  // (position, mean loss)
};

bool read_curve(const std::string& path, Curve& curve) {
  if (!fs::exists(path)) return false;
  const JsonValue v = parse_json(read_text(path), path);
  const JsonValue* series = v.find("series");
  LN_CHECK(series && series->is_array() && !series->items.empty(), path,
           ": no \"series\"; not a --by-position table");
  const JsonValue* buckets = series->items[0].find("buckets");
  LN_CHECK(buckets && buckets->is_array(), path, ": series[0] has no \"buckets\"");
  for (const JsonValue& b : buckets->items) {
    const double from = num(b, "from", path), to = num(b, "to", path);
    curve.points.emplace_back(std::sqrt(from * to), num(b, "mean_loss", path));
  }
  return true;
}

struct Row {
  std::string model, label;
  bool extended = false;
  std::vector<Cell> cells;  // one per context
};

std::string render_curves(const std::vector<Curve>& curves, int64_t context,
                          const std::vector<int64_t>& marks) {
  const int W = 820, H = 480;
  const PlotArea area = PlotArea::with_margins(W - 190, H);
  double lo = 1e300, hi = -1e300;
  for (const Curve& c : curves) {
    for (const auto& p : c.points) lo = std::min(lo, p.second), hi = std::max(hi, p.second);
  }
  if (lo > hi) lo = 0, hi = 1;
  if (hi - lo < 1e-6) lo -= 0.5, hi += 0.5;
  const double pad = 0.05 * (hi - lo);
  lo -= pad, hi += pad;
  const double xmax = std::log2(static_cast<double>(std::max<int64_t>(context, 2)));
  auto X = [&](double pos) { return area.left + area.width * std::log2(std::max(pos, 1.0)) / xmax; };
  auto Y = [&](double loss) { return area.bottom() - area.height * (loss - lo) / (hi - lo); };

  SvgWriter svg(W, H);
  svg.heading(area.left + area.width / 2, "loss by position in a " + ctx_label(context) + "-token window",
              "held-out documents; mean loss of the tokens at that position (log2 buckets)");
  for (int64_t p = 1; p <= context; p *= 4)
    svg.x_tick(area, X(static_cast<double>(p)), tick_label(static_cast<double>(p)));
  for (double v : nice_ticks(lo, hi)) svg.y_tick(area, Y(v), tick_label(v));
  svg.frame(area, "position in the window (tokens of history)", "mean loss (nats)");
  for (int64_t m : marks) {
    if (m < context) {
      svg.line(X(double(m)), area.top, X(double(m)), area.bottom(), "#999999", 1, "stroke-dasharray=\"3,3\"");
      svg.text(X(double(m)) + 3, area.top + 12, "font-size=\"10\" fill=\"#777777\"",
               "trained at " + ctx_label(m));
    }
  }
  std::vector<LegendEntry> legend;
  for (size_t i = 0; i < curves.size(); ++i) {
    std::vector<std::pair<double, double>> px;
    for (const auto& p : curves[i].points) px.emplace_back(X(p.first), Y(p.second));
    const std::string color = kColors[i % (sizeof kColors / sizeof *kColors)];
    if (curves[i].dashed) {
      for (size_t k = 1; k < px.size(); ++k) {
        svg.line(px[k - 1].first, px[k - 1].second, px[k].first, px[k].second, color, 2,
                 "stroke-dasharray=\"6,4\"");
      }
    } else {
      svg.polyline(px, color, 2, 1);
    }
    for (const auto& p : px) svg.circle(p.first, p.second, 2.5, color);
    LegendEntry e;
    e.label = curves[i].label;
    e.color = color;
    e.width = 2;
    e.marker = true;
    legend.push_back(e);
  }
  svg.legend(area.right() + 14, area.top, 170, 18, legend);
  return svg.finish();
}

// "a < b < c" ordered by perplexity, ties kept in input order.
std::string order_text(std::vector<std::pair<std::string, double>> v) {
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? " < " : "") + v[i].first;
  return s;
}

// DIR/paper.jsonl: the run line and one line per model.
struct Manifest {
  std::string path;
  JsonValue run;
  std::vector<JsonValue> models;
};

Manifest read_manifest(const std::string& dir) {
  Manifest m;
  m.path = dir + "/paper.jsonl";
  std::istringstream in(read_text(m.path));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    JsonValue v = parse_json(line, m.path + " line " + std::to_string(n));
    if (v.find("model"))
      m.models.push_back(std::move(v));
    else if (v.find("budget_minutes"))
      m.run = std::move(v);
  }
  LN_CHECK(!m.models.empty(), "report paper: ", m.path, " names no model; run make paper");
  return m;
}

// Every measurement: per model a plain row and, when any was measured, an extended-patterns row.
struct Table {
  std::vector<int64_t> contexts;
  std::vector<Row> rows;

  // The facts any of a model's plain evals recorded.
  Cell first_cell(const std::string& model) const {
    for (const Row& r : rows) {
      if (r.model != model || r.extended) continue;
      for (const Cell& c : r.cells) {
        if (c.present) return c;
      }
    }
    return Cell{};
  }
};

Table read_table(const Manifest& manifest, const std::string& ev, const std::vector<int64_t>& contexts,
                 std::vector<std::string>& missing) {
  Table table;
  table.contexts = contexts;
  for (const JsonValue& m : manifest.models) {
    Row plain;
    plain.model = plain.label = str(m, "model");
    Row ext{plain.model, plain.model + ", extended patterns", true, {}};
    bool any_ext = false;
    for (int64_t c : contexts) {
      const std::string base = ev + plain.model + ".c" + std::to_string(c);
      Cell p = read_eval(base + ".json");
      if (!p.present) missing.push_back(base + ".json");
      Cell e = read_eval(base + ".ext.json");
      any_ext = any_ext || e.present;
      plain.cells.push_back(p);
      ext.cells.push_back(e);
    }
    table.rows.push_back(plain);
    if (any_ext) table.rows.push_back(ext);
  }
  return table;
}

// The budget line and whether every measurement scores the same tokens.
void write_header(std::ostringstream& md, const Manifest& manifest, const Table& table) {
  md << "# Does dilated attention pay off? (`make paper`)\n\n";
  md << "Issue 10: the paper's Table 2 on a CPU budget. Every number below was measured by this run "
        "(`longnet eval --json` files under `eval/`); a cell without a measurement says so.\n\n";
  const JsonValue& run = manifest.run;
  if (run.find("budget_minutes")) {
    md << "- Budget: " << fmt("%g", num(run, "budget_minutes", manifest.path))
       << " min per model at a nominal " << fmt("%g", num(run, "nominal_gflops", manifest.path))
       << " GFLOP/s = " << fmt("%.3g", num(run, "budget_flops", manifest.path))
       << " training FLOPs per model (steps = budget / FLOPs per step, from `longnet flops`).\n";
    if (!str(run, "eval_files").empty()) md << "- Held-out documents: " << str(run, "eval_files") << "\n";
  }
  std::vector<int64_t> counts;  // distinct scored-token counts over every measurement
  for (const Row& r : table.rows) {
    for (const Cell& c : r.cells) {
      if (c.present && std::find(counts.begin(), counts.end(), c.tokens) == counts.end())
        counts.push_back(c.tokens);
    }
  }
  if (counts.size() == 1) {
    md << "- Every model and context scores the same " << format_thousands(counts[0])
       << " held-out tokens (non-overlapping windows of the context; each file its own stream).\n";
  } else if (counts.size() > 1) {
    md << "- **Warning:** the measurements score different numbers of tokens (";
    for (size_t i = 0; i < counts.size(); ++i) md << (i ? ", " : "") << format_thousands(counts[i]);
    md << "): the models do not share one tokenizer, so compare bits per byte, not perplexity.\n";
  }
}

// One cell of the perplexity or bits-per-byte table.
std::string cell_text(const Table& table, const Row& r, size_t i, bool bpb) {
  const Cell& c = r.cells[i];
  if (c.present) return bpb ? fmt("%.3f", c.bpb) : fmt("%.2f", c.ppl) + " ± " + fmt("%.2f", c.ppl_se);
  if (r.extended) {
    const Cell base = table.first_cell(r.model);
    if (base.present && table.contexts[i] <= base.train_seq_len) return "= plain";
  }
  return "not measured";
}

void write_context_columns(std::ostringstream& md, const Table& table, const char* rule) {
  for (int64_t c : table.contexts) md << " " << ctx_label(c) << " |";
  md << "\n" << rule;
  for (size_t i = 0; i < table.contexts.size(); ++i) md << " ---: |";
  md << "\n";
}

void write_quality_tables(std::ostringstream& md, const Table& table) {
  md << "\n## Perplexity (± 1 standard error)\n\n| model | trained at |";
  write_context_columns(md, table, "| --- | ---: |");
  for (const Row& r : table.rows) {
    const Cell base = table.first_cell(r.model);
    md << "| " << r.label << " | " << (base.present ? format_thousands(base.train_seq_len) : "?") << " |";
    for (size_t i = 0; i < r.cells.size(); ++i) md << " " << cell_text(table, r, i, false) << " |";
    md << "\n";
  }
  md << "\n\"= plain\": at or below the training length the widest segment already covers the context, so "
        "`--extend-patterns` changes nothing.\n\n## Bits per byte\n\n| model |";
  write_context_columns(md, table, "| --- |");
  for (const Row& r : table.rows) {
    md << "| " << r.label << " |";
    for (size_t i = 0; i < r.cells.size(); ++i) md << " " << cell_text(table, r, i, true) << " |";
    md << "\n";
  }
}

void write_compute(std::ostringstream& md, const Manifest& manifest, const Table& table) {
  md << "\n## Compute\n\nTraining FLOPs per step count the matmuls (3x forward) and the attention pairs each "
        "kind visits (3.5x forward), as `longnet flops` prints them; FLOPs spent = steps done x FLOPs per "
        "step.\n\n"
        "| model | attention | parameters | tokens / step | FLOPs / step | steps done (planned) | FLOPs "
        "spent | "
        "training wall time | eval time |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  const std::string& where = manifest.path;
  for (const JsonValue& m : manifest.models) {
    const std::string name = str(m, "model");
    const Cell c = table.first_cell(name);
    double eval_seconds = 0;
    for (const Row& r : table.rows) {
      if (r.model == name) {
        for (const Cell& x : r.cells) eval_seconds += x.present ? x.seconds : 0;
      }
    }
    const double per_step = num(m, "flops_per_step", where);
    md << "| " << name << " | " << (c.present ? c.attention : "?") << " | "
       << (c.present ? format_thousands(c.parameters) : "?") << " | "
       << format_thousands(static_cast<int64_t>(num(m, "tokens_per_step", where))) << " | "
       << fmt("%.3g", per_step) << " | " << (c.present ? format_thousands(c.step) : "?") << " ("
       << format_thousands(static_cast<int64_t>(num(m, "steps_planned", where))) << ") | "
       << (c.present ? fmt("%.3g", per_step * static_cast<double>(c.step)) : "?") << " | "
       << duration(num(m, "train_seconds", where)) << " | " << duration(eval_seconds) << " |\n";
  }
}

// One row of the ordering table: the paper's order at this context (when it has one) beside
// this run's, plain and with extended patterns.
void write_ordering_row(std::ostringstream& md, const Table& table, size_t i) {
  int paper_col = -1;
  for (int k = 0; k < 3; ++k) {
    if (table.contexts[i] == (int64_t{2048} << (2 * k))) paper_col = k;
  }
  std::vector<std::pair<std::string, double>> paper, plain, ext;
  bool complete = true;
  for (const PaperRow& p : kPaper) {
    const Row* pr = nullptr;
    const Row* er = nullptr;
    for (const Row& r : table.rows) {
      if (r.model == p.model) (r.extended ? er : pr) = &r;
    }
    if (paper_col >= 0) paper.emplace_back(p.model, p.ppl[paper_col]);
    if (!pr || !pr->cells[i].present) {
      complete = false;
      continue;
    }
    plain.emplace_back(p.model, pr->cells[i].ppl);
    const bool use_ext = er && er->cells[i].present;
    ext.emplace_back(p.model, use_ext ? er->cells[i].ppl : pr->cells[i].ppl);
  }
  const std::string po = paper_col >= 0 ? order_text(paper) : "-";
  md << "| " << ctx_label(table.contexts[i]) << " | " << po << " | ";
  if (!complete) {
    md << "not measured | - | not measured | - |\n";
    return;
  }
  auto same = [&](const std::string& order) { return paper_col < 0 ? "-" : order == po ? "yes" : "no"; };
  const std::string a = order_text(plain), b = order_text(ext);
  md << a << " | " << same(a) << " | " << b << " | " << same(b) << " |\n";
}

// The paper's ordering, as a hypothesis to check.
void write_ordering(std::ostringstream& md, const Table& table) {
  md << "\n## The paper's ordering, checked\n\nThe paper (Table 2): ";
  for (size_t k = 0; k < 3; ++k) {
    md << (k ? "; " : "") << kPaper[k].model << " " << fmt("%.2f", kPaper[k].ppl[0]) << " / "
       << fmt("%.2f", kPaper[k].ppl[1]) << " / " << fmt("%.2f", kPaper[k].ppl[2]);
  }
  md << " at 2K / 8K / 32K. Lower is better; the order below ranks this run's point estimates, so two "
        "models closer than about two standard errors (table above) are not told apart by it.\n\n"
        "| context | paper | this run | same order? | this run, LongNet with extended patterns | same order? "
        "|\n"
        "| --- | --- | --- | --- | --- | --- |\n";
  for (size_t i = 0; i < table.contexts.size(); ++i) write_ordering_row(md, table, i);
}

// Loss by position at the largest context: the curves, and the training lengths to mark.
void read_curves(const Table& table, const std::string& ev, int64_t cmax, std::vector<Curve>& curves,
                 std::vector<int64_t>& marks, std::vector<std::string>& missing) {
  for (const Row& r : table.rows) {
    Curve c;
    c.label = r.label;
    c.dashed = r.extended;
    const std::string path =
        ev + r.model + ".c" + std::to_string(cmax) + (r.extended ? ".ext" : "") + ".pos.json";
    if (read_curve(path, c))
      curves.push_back(std::move(c));
    else if (!r.extended)
      missing.push_back(path);
    const Cell base = table.first_cell(r.model);
    if (!r.extended && base.present &&
        std::find(marks.begin(), marks.end(), base.train_seq_len) == marks.end()) {
      marks.push_back(base.train_seq_len);
    }
  }
}

}  // namespace

PaperReport build_paper_report(const PaperReportOptions& options) {
  const std::string manifest_path = options.dir + "/paper.jsonl";
  LN_CHECK(fs::exists(manifest_path), "report paper: ", manifest_path,
           " does not exist; run make paper (it writes it)");
  LN_CHECK(!options.contexts.empty(), "report paper: no contexts given");
  const Manifest manifest = read_manifest(options.dir);
  PaperReport out;
  const std::string ev = options.dir + "/eval/";
  const Table table = read_table(manifest, ev, options.contexts, out.missing);

  std::ostringstream md;
  write_header(md, manifest, table);
  write_quality_tables(md, table);
  write_compute(md, manifest, table);
  write_ordering(md, table);

  const int64_t cmax = *std::max_element(options.contexts.begin(), options.contexts.end());
  std::vector<Curve> curves;
  std::vector<int64_t> marks;
  read_curves(table, ev, cmax, curves, marks, out.missing);
  out.svg = render_curves(curves, cmax, marks);
  md << "\n## Loss by position (" << ctx_label(cmax)
     << " windows)\n\n![loss by position](loss_by_position.svg)\n\n"
     << "A model that uses long context keeps lowering its loss as the position (the history it has) grows; "
        "a flat tail means the extra history is not used.\n";
  // The probes (issue 18): does each model retrieve from its context, beyond the perplexity?
  md << probe_sections(options.dir + "/probes", "probes/");
  if (!out.missing.empty()) {
    md << "\n## Missing measurements\n\n";
    for (const std::string& m : out.missing)
      md << "- `" << fs::path(m).lexically_relative(options.dir).string() << "`\n";
  }
  out.markdown = md.str();
  return out;
}

}  // namespace ln
