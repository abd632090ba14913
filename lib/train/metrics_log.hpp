#pragma once
// metrics.jsonl: one flat JSON object per line, e.g.
//   {"step": 120, "loss": 3.412, "lr": 0.0008, "tokens_per_s": 12345}
//   {"step": 200, "val_loss": 3.51}
//
// Writing: every line goes to the file with a single write(2) as soon as it is appended, so
// a crash loses at most the line being written (which then shows up as a torn last line).
// Resuming from a checkpoint at step S rewrites the file (temp + rename) keeping only lines
// with step <= S, so the resumed run does not log the steps S+1.. a second time.
//
// Reading: each line goes through the strict JSON reader (core/json_reader.hpp); the top-level
// numbers, strings and true/false/null are kept, nested values are skipped. Lines that are
// not one complete JSON object, such as a torn last line, are skipped and counted.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"

namespace ln {

struct MetricsRecord {
  std::map<std::string, double> numbers;  // numbers; null -> NaN; true/false -> 1/0
  std::map<std::string, std::string> strings;
  bool has_number(const std::string& key) const { return numbers.count(key) != 0; }
  // The value of a numeric key, or `fallback` when absent.
  double number(const std::string& key, double fallback) const;
  // "step" when present and a whole number.
  std::optional<int64_t> step() const;
};

// One line -> a record, or nullopt if it is not one complete flat JSON object.
std::optional<MetricsRecord> parse_metrics_line(std::string_view line);

// All records of a metrics file, in order. A missing file reads as empty. Lines that do not
// parse (a torn last line after a crash) are skipped and counted in *bad_lines if given.
std::vector<MetricsRecord> read_metrics(const std::string& path, int64_t* bad_lines = nullptr);

class MetricsLog {
 public:
  // A new run: the file is created or truncated.
  static MetricsLog create(const std::string& path);
  // A run resumed after `step`: keeps lines whose step is <= step (and lines without a step),
  // drops later and unparseable ones, then appends. A missing file is created.
  static MetricsLog resume(const std::string& path, int64_t step);

  MetricsLog(MetricsLog&& other) noexcept;
  MetricsLog& operator=(MetricsLog&& other) noexcept;
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;
  ~MetricsLog();

  void append(const JsonObject& entry) { append_line(entry.str()); }
  void append_line(const std::string& json);  // one object, no newline
  const std::string& path() const { return path_; }

 private:
  MetricsLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

}  // namespace ln
