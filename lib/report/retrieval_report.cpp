#include "report/retrieval_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <sstream>
#include <vector>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json_reader.hpp"
#include "core/number_format.hpp"
#include "report/probe_tables.hpp"

namespace ln {

namespace {

namespace fs = std::filesystem;

// The last "summary" row of a run's metrics.jsonl: one table row about the model.
std::string model_row(const fs::path& run) {
  std::string row = "| " + run.filename().string() + " |";
  const fs::path metrics = run / "metrics.jsonl";
  if (!fs::exists(metrics)) return row + " no metrics.jsonl | | | |\n";
  const std::string text = read_file(metrics.string());
  std::string last;
  for (size_t a = 0, b; a < text.size(); a = b + 1) {
    b = text.find('\n', a);
    if (b == std::string::npos) b = text.size();
    const std::string line = text.substr(a, b - a);
    if (line.find("\"summary\"") != std::string::npos) last = line;
  }
  if (last.empty()) return row + " no summary row yet | | | |\n";
  const JsonValue s = parse_json(last, metrics.string());
  auto field = [&](const char* key) { return s.find(key) ? s.find(key)->text : std::string("?"); };
  // A number of the summary, or NaN when it is absent or null (a run that never evaluated, as
  // phase 1 of make retrieval, has best_val_loss null).
  auto number = [&](const char* key) {
    const JsonValue* v = s.find(key);
    return v && v->kind == JsonValue::Kind::number ? std::strtod(v->text.c_str(), nullptr)
                                                   : std::numeric_limits<double>::quiet_NaN();
  };
  std::string seconds = "?";
  if (fs::exists(run / "retrieval_train_seconds")) {
    std::string t = read_file((run / "retrieval_train_seconds").string());
    char* end = nullptr;
    const double value = std::strtod(t.c_str(), &end);
    if (end != t.c_str()) seconds = format_duration(value);
  }
  const double best = number("best_val_loss"), tokens = number("tokens");
  char loss[32];
  std::snprintf(loss, sizeof loss, "%.3f", best);
  return row + " " + field("step") + " | " + (std::isnan(tokens) ? std::string("?") : format_count(tokens)) +
         " | " + seconds + " | " + (std::isnan(best) ? std::string("not measured") : std::string(loss)) +
         " |\n";
}

}  // namespace

std::string build_retrieval_report(const std::string& dir) {
  const fs::path root(dir), probes = root / "probes";
  std::ostringstream md;
  md << "# Does a model trained here use its long context?\n\n"
     << "`make retrieval` (scripts/retrieval.sh): the runs below trained on `data/paper/train` (phase 1, "
        "`induction`: the copy circuit on runs of random tokens; phase 2, from its weights: the models, "
        "with synthetic retrieval rows mixed in), then the models probed on `data/paper/test`, documents "
        "none of them trained on.\n\n";
  md << "| model | steps | tokens | training time | best validation loss |\n| --- | ---: | ---: | ---: | "
        "---: |\n";
  std::vector<fs::path> runs;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory() && fs::exists(e.path() / "config.yaml")) runs.push_back(e.path());
  std::sort(runs.begin(), runs.end());
  for (const fs::path& run : runs) md << model_row(run);

  md << probe_sections(probes.string(), "probes/");
  return md.str();
}

}  // namespace ln
