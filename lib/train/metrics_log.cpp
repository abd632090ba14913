#include "train/metrics_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json_reader.hpp"

namespace ln {

double MetricsRecord::number(const std::string& key, double fallback) const {
  auto it = numbers.find(key);
  return it == numbers.end() ? fallback : it->second;
}

std::optional<int64_t> MetricsRecord::step() const {
  auto it = numbers.find("step");
  if (it == numbers.end() || !std::isfinite(it->second) || it->second != std::floor(it->second)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(it->second);
}

std::optional<MetricsRecord> parse_metrics_line(std::string_view line) {
  JsonValue root;
  try {
    root = parse_json(line, "[metrics] line");
  } catch (const Error&) {
    return std::nullopt;  // torn or garbage: the caller skips and counts it
  }
  if (!root.is_object()) return std::nullopt;
  MetricsRecord rec;
  for (auto& [key, value] : root.members) {
    switch (value.kind) {
      case JsonValue::Kind::null:
        rec.numbers[key] = std::numeric_limits<double>::quiet_NaN();
        break;
      case JsonValue::Kind::boolean:
        rec.numbers[key] = value.boolean ? 1.0 : 0.0;
        break;
      case JsonValue::Kind::number: {
        // The reader has checked the JSON number syntax; a value out of double range (1e999)
        // makes the line unreadable, as before.
        double v = 0;
        const auto [end, ec] = std::from_chars(value.text.data(), value.text.data() + value.text.size(), v);
        if (ec != std::errc() || end != value.text.data() + value.text.size()) return std::nullopt;
        rec.numbers[key] = v;
        break;
      }
      case JsonValue::Kind::string:
        rec.strings[key] = std::move(value.text);
        break;
      case JsonValue::Kind::array:
      case JsonValue::Kind::object:
        break;  // nested values are not metrics: skipped
    }
  }
  return rec;
}

namespace {

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Calls fn(line, record-or-null) for each line of the file's text.
template <typename Fn>
void for_each_line(const std::string& text, Fn&& fn) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank
    fn(line, parse_metrics_line(line));
  }
}

int open_append(const std::string& path, bool truncate) {
  const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0);
  const int fd = ::open(path.c_str(), flags, 0644);
  LN_CHECK(fd >= 0, "[metrics] cannot open '", path, "' for writing: ", std::strerror(errno),
           "; check that the run directory exists and is writable");
  return fd;
}

}  // namespace

std::vector<MetricsRecord> read_metrics(const std::string& path, int64_t* bad_lines) {
  std::vector<MetricsRecord> out;
  int64_t bad = 0;
  if (file_exists(path)) {
    for_each_line(read_file(path), [&](std::string_view, std::optional<MetricsRecord> rec) {
      if (rec) {
        out.push_back(std::move(*rec));
      } else {
        ++bad;
      }
    });
  }
  if (bad_lines) *bad_lines = bad;
  return out;
}

MetricsLog MetricsLog::create(const std::string& path) { return MetricsLog(path, open_append(path, true)); }

MetricsLog MetricsLog::resume(const std::string& path, int64_t step) {
  if (file_exists(path)) {
    std::string kept;
    for_each_line(read_file(path), [&](std::string_view line, std::optional<MetricsRecord> rec) {
      if (!rec) return;  // torn or garbage
      std::optional<int64_t> s = rec->step();
      if (rec->has_number("step") && (!s || *s > step)) return;
      kept.append(line);
      kept += '\n';
    });
    write_file_atomic(path, kept);
  }
  return MetricsLog(path, open_append(path, false));
}

MetricsLog::MetricsLog(MetricsLog&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) {
  other.fd_ = -1;
}

MetricsLog& MetricsLog::operator=(MetricsLog&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

MetricsLog::~MetricsLog() {
  if (fd_ >= 0) ::close(fd_);
}

void MetricsLog::append_line(const std::string& json) {
  LN_CHECK(fd_ >= 0, "[metrics] log '", path_, "' is closed");
  LN_CHECK(json.find('\n') == std::string::npos, "[metrics] an entry must be one line: ", json);
  const std::string line = json + "\n";
  // One write(2) per line (O_APPEND): the line reaches the kernel at once, so readers and a
  // crash see whole lines except possibly the very last.
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    LN_CHECK(n > 0, "[metrics] writing '", path_, "' failed: ", std::strerror(errno), "; is the disk full?");
    done += static_cast<size_t>(n);
  }
}

}  // namespace ln
