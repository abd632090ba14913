#include "report/probe_tables.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json_reader.hpp"

namespace ln {

namespace {

// The probe's JSON, or nothing when the file is not there. ln::Error when it is there but is
// not a probe of `kind`.
std::optional<JsonValue> read_probe(const std::string& path, const std::string& kind) {
  if (!std::filesystem::exists(path)) return std::nullopt;
  JsonValue j = parse_json(read_file(path), path);
  const JsonValue* probe = j.find("probe");
  LN_CHECK(j.is_object() && probe && probe->text == kind, path, " is not the JSON of a ", kind,
           " probe (longnet probe ", kind, " --json)");
  return j;
}

double number_of(const JsonValue& v, const char* key, const std::string& path) {
  const JsonValue* m = v.find(key);
  LN_CHECK(m && m->kind == JsonValue::Kind::number, path, ": \"", key, "\" is missing or not a number");
  return std::stod(m->text);
}

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string header_row(const std::string& first, const std::vector<ProbeColumn>& columns) {
  std::string s = "| " + first + " |", rule = "| ---: |";
  for (const ProbeColumn& c : columns) s += " " + c.label + " |", rule += " ---: |";
  return s + "\n" + rule + "\n";
}

}  // namespace

std::vector<ProbeColumn> probe_columns(const std::string& probes, const std::string& kind) {
  namespace fs = std::filesystem;
  std::vector<std::string> paths;
  if (fs::is_directory(probes)) {
    for (const auto& e : fs::directory_iterator(probes)) {
      const std::string name = e.path().filename().string();
      if (e.path().extension() == ".json" && name.find("." + kind) != std::string::npos)
        paths.push_back(e.path());
    }
  }
  std::sort(paths.begin(), paths.end());
  std::vector<ProbeColumn> out;
  for (const std::string& p : paths) out.push_back({probe_label(p), p});
  return out;
}

std::string probe_sections(const std::string& probes, const std::string& link_prefix) {
  namespace fs = std::filesystem;
  std::ostringstream md;
  md << "\n## Copy at a distance\n\n"
     << "A passage of held-out text repeated after D tokens of the text that follows it: its mean loss "
        "over the same passage's loss at the same place when it is new (`longnet probe copy`). 1 means the "
        "first copy is not used, 0 a perfect copy. Each distance averages its samples over gaps D .. D+7, "
        "every alignment of dilated attention.\n\n";
  const std::vector<ProbeColumn> copy = probe_columns(probes, "copy");
  md << (copy.empty() ? std::string("No copy probe was run.\n") : copy_ratio_table(copy));

  md << "\n## Passkey retrieval\n\n"
     << "A random key told at depth p of L tokens of held-out text, asked for at the end (`longnet probe "
        "passkey`): the share of keys greedy decoding writes whole, over every depth, and the worst "
        "depth's.\n\n";
  const std::vector<ProbeColumn> passkey = probe_columns(probes, "passkey");
  md << (passkey.empty() ? std::string("No passkey probe was run.\n") : passkey_accuracy_table(passkey));
  std::vector<std::string> pictures;
  if (fs::is_directory(probes))
    for (const auto& e : fs::directory_iterator(probes))
      if (e.path().extension() == ".svg") pictures.push_back(link_prefix + e.path().filename().string());
  std::sort(pictures.begin(), pictures.end());
  if (!pictures.empty()) {
    md << "\nHeatmaps (length across, depth down):\n\n";
    for (const std::string& p : pictures) md << "![" << p << "](" << p << ")\n";
  }
  return md.str();
}

std::string probe_label(const std::string& path) {
  const std::optional<JsonValue> j = [&]() -> std::optional<JsonValue> {
    if (!std::filesystem::exists(path)) return std::nullopt;
    return parse_json(read_file(path), path);
  }();
  if (!j || !j->find("checkpoint")) return std::filesystem::path(path).stem().string();
  // runs/retrieval/longnet-8k/step-000001234 -> longnet-8k
  std::filesystem::path checkpoint(j->find("checkpoint")->text);
  std::string label = checkpoint.filename().string().rfind("step-", 0) == 0
                          ? checkpoint.parent_path().filename().string()
                          : checkpoint.filename().string();
  const JsonValue* extend = j->find("extend_patterns");
  if (extend && extend->kind == JsonValue::Kind::boolean && extend->boolean) label += ", extended";
  const JsonValue* window = j->find("window");
  if (window && window->text != "0") label += ", " + window->text + "-token window";
  return label;
}

std::string copy_ratio_table(const std::vector<ProbeColumn>& columns) {
  std::set<int64_t> distances;
  std::vector<std::map<int64_t, double>> ratio(columns.size());
  std::vector<bool> present(columns.size(), false);
  for (size_t c = 0; c < columns.size(); ++c) {
    const std::optional<JsonValue> j = read_probe(columns[c].path, "copy");
    if (!j) continue;
    present[c] = true;
    const JsonValue* rows = j->find("rows");
    LN_CHECK(rows && rows->is_array(), columns[c].path, ": \"rows\" is missing");
    for (const JsonValue& row : rows->items) {
      const auto d = static_cast<int64_t>(number_of(row, "distance", columns[c].path));
      distances.insert(d);
      ratio[c][d] = number_of(row, "ratio", columns[c].path);
    }
  }
  std::string s = header_row("distance D", columns);
  for (int64_t d : distances) {
    s += "| " + std::to_string(d) + " |";
    for (size_t c = 0; c < columns.size(); ++c) {
      auto it = ratio[c].find(d);
      s += " " +
           (!present[c]            ? std::string("missing")
            : it == ratio[c].end() ? "\u2013"
                                   : fixed(it->second, 3)) +
           " |";
    }
    s += "\n";
  }
  return s;
}

std::string passkey_accuracy_table(const std::vector<ProbeColumn>& columns) {
  struct Sums {
    int64_t found = 0, samples = 0;
    double worst = 1;
  };
  std::set<int64_t> lengths;
  std::vector<std::map<int64_t, Sums>> sums(columns.size());
  std::vector<bool> present(columns.size(), false);
  for (size_t c = 0; c < columns.size(); ++c) {
    const std::optional<JsonValue> j = read_probe(columns[c].path, "passkey");
    if (!j) continue;
    present[c] = true;
    const JsonValue* cells = j->find("cells");
    LN_CHECK(cells && cells->is_array(), columns[c].path, ": \"cells\" is missing");
    for (const JsonValue& cell : cells->items) {
      const auto l = static_cast<int64_t>(number_of(cell, "length", columns[c].path));
      lengths.insert(l);
      Sums& s = sums[c][l];
      s.found += static_cast<int64_t>(number_of(cell, "found", columns[c].path));
      s.samples += static_cast<int64_t>(number_of(cell, "samples", columns[c].path));
      s.worst = std::min(s.worst, number_of(cell, "accuracy", columns[c].path));
    }
  }
  std::string s = header_row("length L", columns);
  for (int64_t l : lengths) {
    s += "| " + std::to_string(l) + " |";
    for (size_t c = 0; c < columns.size(); ++c) {
      auto it = sums[c].find(l);
      std::string cell = !present[c] ? "missing" : it == sums[c].end() ? "\u2013" : "";
      if (cell.empty()) {
        const Sums& v = it->second;
        cell =
            fixed(100.0 * static_cast<double>(v.found) / static_cast<double>(std::max<int64_t>(1, v.samples)),
                  0) +
            "% (worst depth " + fixed(100.0 * v.worst, 0) + "%)";
      }
      s += " " + cell + " |";
    }
    s += "\n";
  }
  return s;
}

}  // namespace ln
