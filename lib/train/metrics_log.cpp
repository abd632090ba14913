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
#include "train/atomic_file.hpp"

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

namespace {

// A cursor over one line; every parse_* returns false on malformed input.
struct Cursor {
  std::string_view s;
  size_t i = 0;
  void skip_ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
  }
  bool eat(char c) {
    skip_ws();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  bool eat_word(std::string_view w) {
    if (s.substr(i, w.size()) != w) return false;
    i += w.size();
    return true;
  }
};

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool parse_string(Cursor& c, std::string& out) {
  if (!c.eat('"')) return false;
  out.clear();
  while (c.i < c.s.size()) {
    char ch = c.s[c.i++];
    if (ch == '"') return true;
    if (ch != '\\') {
      out += ch;
      continue;
    }
    if (c.i >= c.s.size()) return false;
    char e = c.s[c.i++];
    switch (e) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        if (c.i + 4 > c.s.size()) return false;
        uint32_t cp = 0;
        auto r = std::from_chars(c.s.data() + c.i, c.s.data() + c.i + 4, cp, 16);
        if (r.ec != std::errc() || r.ptr != c.s.data() + c.i + 4) return false;
        c.i += 4;
        append_utf8(out, cp);  // surrogate pairs are kept as two code units; metrics are ASCII
        break;
      }
      default: return false;
    }
  }
  return false;  // unterminated: a torn line
}

// Skips a nested array/object, honouring strings. The cursor is on its opening bracket.
bool skip_nested(Cursor& c) {
  int depth = 0;
  std::string scratch;
  while (c.i < c.s.size()) {
    char ch = c.s[c.i];
    if (ch == '"') {
      if (!parse_string(c, scratch)) return false;
      continue;
    }
    ++c.i;
    if (ch == '{' || ch == '[') ++depth;
    if (ch == '}' || ch == ']') {
      if (--depth == 0) return true;
    }
  }
  return false;
}

bool parse_value(Cursor& c, const std::string& key, MetricsRecord& rec) {
  c.skip_ws();
  if (c.i >= c.s.size()) return false;
  const char ch = c.s[c.i];
  if (ch == '"') {
    std::string v;
    if (!parse_string(c, v)) return false;
    rec.strings[key] = std::move(v);
    return true;
  }
  if (ch == '{' || ch == '[') return skip_nested(c);
  if (c.eat_word("null")) {
    rec.numbers[key] = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (c.eat_word("true")) {
    rec.numbers[key] = 1.0;
    return true;
  }
  if (c.eat_word("false")) {
    rec.numbers[key] = 0.0;
    return true;
  }
  double v = 0;
  const char* begin = c.s.data() + c.i;
  auto r = std::from_chars(begin, c.s.data() + c.s.size(), v);
  if (r.ec != std::errc() || r.ptr == begin) return false;
  c.i += static_cast<size_t>(r.ptr - begin);
  rec.numbers[key] = v;
  return true;
}

}  // namespace

std::optional<MetricsRecord> parse_metrics_line(std::string_view line) {
  Cursor c{line};
  MetricsRecord rec;
  if (!c.eat('{')) return std::nullopt;
  if (!c.eat('}')) {
    std::string key;
    do {
      c.skip_ws();
      if (!parse_string(c, key) || !c.eat(':') || !parse_value(c, key, rec)) return std::nullopt;
    } while (c.eat(','));
    if (!c.eat('}')) return std::nullopt;
  }
  c.skip_ws();
  if (c.i != line.size()) return std::nullopt;
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
