#include "data/corpus.hpp"

#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <system_error>

#include "core/error.hpp"
#include "core/json_reader.hpp"
#include "data/sha256.hpp"

namespace ln {

namespace fs = std::filesystem;

DocumentSeparator parse_document_separator(std::string_view name) {
  if (auto s = enum_from_name(kDocumentSeparatorNames, name)) return *s;
  LN_FAIL("[corpus] data.document_separator is '", name, "'; use 'file' or 'blank_line'");
}

const char* to_string(DocumentSeparator separator) { return enum_name(kDocumentSeparatorNames, separator); }

namespace {

bool is_glob(const std::string& source) { return source.find_first_of("*?[") != std::string::npos; }

// The paths a glob pattern matches, sorted (glob(3) without GLOB_NOSORT).
std::vector<std::string> glob_matches(const std::string& pattern) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> out;
  if (rc == 0) out.assign(g.gl_pathv, g.gl_pathv + g.gl_pathc);
  ::globfree(&g);
  return out;
}

// A directory's regular files, recursively and sorted; hidden entries (".git", ".complete"
// markers, editor files) are not text of the corpus.
std::vector<std::string> walk_directory(const fs::path& path, const std::string& source,
                                        const std::string& key) {
  std::error_code ec;
  std::vector<std::string> found;
  fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
  LN_CHECK(!ec, "[corpus] ", key, ": cannot list ", source, ": ", ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    LN_CHECK(!ec, "[corpus] ", key, ": cannot list ", source, ": ", ec.message());
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec)) found.push_back(it->path().lexically_normal().string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

// One warning per binary file per process: list_corpus_files runs more than once per command.
void warn_skipped(const std::vector<std::string>& skipped, const std::string& key) {
  static std::mutex mutex;
  static std::set<std::string> warned;
  std::lock_guard<std::mutex> lock(mutex);
  std::string names;
  size_t count = 0;
  for (const std::string& path : skipped) {
    if (!warned.insert(path).second) continue;
    names += (count++ ? ", " : "") + path;
  }
  if (count == 0) return;
  std::cerr << "warning: " << key << ": skipping " << count << (count == 1 ? " binary file" : " binary files")
            << " (not UTF-8 text): " << names << std::endl;
}

}  // namespace

bool corpus_source_exists(const std::string& source) {
  std::error_code ec;
  if (fs::exists(fs::path(source), ec)) return true;
  return is_glob(source) && !glob_matches(source).empty();
}

bool looks_binary(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;  // unreadable: the reader reports it with the reason
  std::string head(8192, '\0');
  in.read(head.data(), std::streamsize(head.size()));
  head.resize(size_t(in.gcount()));
  // Git's rule (a NUL byte), plus files where over 30% of the bytes are control characters or
  // not UTF-8 (random bytes: ~55%). Text in another encoding (Latin-1: a few % accented
  // letters) is not binary: it is read, and refused with the byte offset and an iconv hint,
  // rather than silently dropped from the corpus.
  if (head.find('\0') != std::string::npos) return true;
  size_t suspicious = 0;
  for (const char c : head) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && !std::strchr("\t\n\r\f\v\x1b", c)) || u == 0x7f) ++suspicious;
  }
  std::string_view rest(head);
  for (int64_t bad; (bad = find_invalid_utf8(rest)) >= 0;) {
    if (head.size() == 8192 && rest.size() - size_t(bad) < 4) break;  // a character cut by the 8 KiB read
    ++suspicious;
    rest.remove_prefix(size_t(bad) + 1);
  }
  return suspicious * 10 > head.size() * 3;
}

bool is_jsonl_path(const std::string& path) { return fs::path(path).extension() == ".jsonl"; }

std::vector<std::string> list_corpus_files(const std::vector<std::string>& sources, const std::string& key) {
  LN_CHECK(!sources.empty(), "[corpus] ", key, " names no corpus; give files, directories or glob patterns");
  std::vector<std::string> candidates;
  for (const std::string& source : sources) {
    std::vector<std::string> paths = {source};
    std::error_code ec;
    const bool globbed = !fs::exists(fs::path(source), ec) && is_glob(source);
    if (globbed) {
      paths = glob_matches(source);
      LN_CHECK(!paths.empty(), "[corpus] ", key, ": the pattern '", source,
               "' matches no file; check the pattern (quote it so the shell does not expand it)");
    }
    for (const std::string& p : paths) {
      const fs::path path = fs::absolute(fs::path(p)).lexically_normal();
      const fs::file_status status = fs::status(path, ec);
      LN_CHECK(
          !ec && fs::exists(status), "[corpus] ", key, ": ", source, " does not exist; check the path",
          source == "data/sotu" ? " (fetch the default corpus with data/fetch_sotu.sh; make demo does)" : "");
      if (fs::is_regular_file(status)) {
        candidates.push_back(path.string());
        continue;
      }
      if (globbed && !fs::is_directory(status))
        continue;  // a FIFO or device a pattern caught, as in a folder
      LN_CHECK(fs::is_directory(status), "[corpus] ", key, ": ", p,
               " is neither a regular file nor a directory");
      const std::vector<std::string> found = walk_directory(path, p, key);
      candidates.insert(candidates.end(), found.begin(), found.end());
    }
  }
  std::vector<std::string> files, skipped;
  for (std::string& path : candidates) (looks_binary(path) ? skipped : files).push_back(std::move(path));
  warn_skipped(skipped, key);
  LN_CHECK(!files.empty(), "[corpus] ", key, ": no text files found in ", sources.front(),
           sources.size() > 1 ? ", ..." : "", skipped.empty() ? "" : " (only binary files)",
           "; give UTF-8 text files, directories or globs");
  return files;
}

int64_t find_invalid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // Fast path over ASCII, eight bytes at a time.
    while (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, s + i, 8);
      if (word & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    const uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int length;
    uint32_t min_code;
    uint32_t code;
    if ((c & 0xE0) == 0xC0) {
      length = 2, min_code = 0x80, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3, min_code = 0x800, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4, min_code = 0x10000, code = c & 0x07;
    } else {
      return int64_t(i);
    }
    if (i + length > n) return int64_t(i);
    for (int k = 1; k < length; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return int64_t(i);
      code = (code << 6) | (s[i + k] & 0x3F);
    }
    if (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return int64_t(i);
    i += length;
  }
  return -1;
}

LineReader::LineReader(const std::string& path, size_t max_piece_bytes, Sha256* hash)
    : path_(path), hash_(hash), max_piece_(max_piece_bytes) {
  LN_CHECK(max_piece_bytes >= 16, "[corpus] piece size ", max_piece_bytes, " is too small; use >= 16");
  file_ = std::fopen(path.c_str(), "rb");
  LN_CHECK(file_, "[corpus] cannot open ", path, ": ", std::strerror(errno));
  buffer_.resize(std::max<size_t>(2 * max_piece_bytes, size_t(1) << 20));
}

LineReader::~LineReader() {
  if (file_) std::fclose(file_);
}

bool LineReader::fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    buffer_offset_ += begin_;
    end_ -= begin_;
    begin_ = 0;
  }
  const size_t want = buffer_.size() - end_;
  const size_t got = std::fread(buffer_.data() + end_, 1, want, file_);
  if (got < want) {
    LN_CHECK(!std::ferror(file_), "[corpus] error reading ", path_, ": ", std::strerror(errno));
    eof_ = true;
  }
  if (hash_ && got > 0) hash_->update(buffer_.data() + end_, got);
  end_ += got;
  file_offset_ += got;
  return got > 0;
}

namespace {
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Length of the first piece of an over-long line: just after the last whitespace within
// `max` bytes, else the last character boundary (never inside a UTF-8 sequence).
size_t cut_point(const char* text, size_t max) {
  for (size_t i = max; i-- > 0;) {
    if (is_space(text[i])) return i + 1;
  }
  size_t len = max;
  while (len > 0 && (static_cast<uint8_t>(text[len]) & 0xC0) == 0x80) --len;
  return len > 0 ? len : max;
}
}  // namespace

bool LineReader::next(Piece& piece) {
  for (;;) {
    const char* start = buffer_.data() + begin_;
    const size_t available = end_ - begin_;
    const size_t window = std::min(available, max_piece_);
    const void* newline = window > 0 ? std::memchr(start, '\n', window) : nullptr;
    size_t length;
    bool ends_line;
    if (newline) {
      length = static_cast<const char*>(newline) - start + 1;
      ends_line = true;
    } else if (available <= max_piece_ && !eof_) {
      fill();  // the line may continue past what is buffered
      continue;
    } else if (available == 0) {
      return false;
    } else if (available <= max_piece_) {
      length = available;  // last line, without a final newline
      ends_line = true;
    } else {
      length = cut_point(start, max_piece_);
      ends_line = false;
    }
    const std::string_view text(start, length);
    const int64_t bad = find_invalid_utf8(text);
    LN_CHECK(bad < 0, "[corpus] ", path_, " is not valid UTF-8 (byte offset ",
             buffer_offset_ + begin_ + uint64_t(bad),
             "); convert it (e.g. iconv -f latin1 -t utf-8) or remove it from the corpus");
    piece.text = text;
    piece.starts_line = at_line_start_;
    piece.ends_line = ends_line;
    at_line_start_ = ends_line;
    begin_ += length;
    return true;
  }
}

// A JSONL line is held whole to be parsed; past this it is surely not one document of text.
constexpr size_t kMaxJsonlLineBytes = size_t(1) << 30;

JsonlReader::JsonlReader(const std::string& path, size_t max_piece_bytes, Sha256* hash)
    : lines_(path, max_piece_bytes, hash), max_piece_(max_piece_bytes) {}

bool JsonlReader::load_next_line() {
  LineReader::Piece piece;
  for (;;) {
    line_.clear();
    bool any = false;
    while (lines_.next(piece)) {
      any = true;
      LN_CHECK(line_.size() + piece.text.size() <= kMaxJsonlLineBytes, "[corpus] ", lines_.path(), " line ",
               line_number_ + 1, " is longer than 1 GiB; split the document over several lines");
      line_.append(piece.text);
      if (piece.ends_line) break;
    }
    if (!any) return false;
    ++line_number_;
    if (std::all_of(line_.begin(), line_.end(), is_space)) continue;
    const std::string where = lines_.path() + " line " + std::to_string(line_number_);
    const JsonValue value = parse_json(line_, "[corpus] " + where);
    const JsonValue* text = value.is_object() ? value.find("text") : nullptr;
    LN_CHECK(text && text->is_string(), "[corpus] ", where, " has no \"text\" string",
             value.is_object() ? "" : std::string(" (it is ") + json_kind_name(value.kind) + ")",
             "; each line of a .jsonl file must be an object like {\"text\": \"...\"}");
    const int64_t bad = find_invalid_utf8(text->text);
    LN_CHECK(bad < 0, "[corpus] ", where, ": the \"text\" field is not valid UTF-8 (byte ", bad,
             "); fix the escapes of that line");
    text_ = text->text;
    at_ = 0;
    at_line_start_ = true;
    if (!text_.empty()) return true;
  }
}

bool JsonlReader::next(LineReader::Piece& piece) {
  if (at_ >= text_.size() && !load_next_line()) return false;
  const char* start = text_.data() + at_;
  const size_t available = text_.size() - at_;
  const void* newline = std::memchr(start, '\n', std::min(available, max_piece_));
  size_t length;
  bool ends_line = true;
  if (newline) {
    length = static_cast<const char*>(newline) - start + 1;
  } else if (available <= max_piece_) {
    length = available;
  } else {
    length = cut_point(start, max_piece_);
    ends_line = false;
  }
  piece.text = std::string_view(start, length);
  piece.starts_line = at_line_start_;
  piece.ends_line = ends_line;
  at_line_start_ = ends_line;
  at_ += length;
  piece.ends_document = at_ == text_.size();
  return true;
}

CorpusFileReader::CorpusFileReader(const std::string& path, size_t max_piece_bytes, Sha256* hash) {
  if (is_jsonl_path(path)) {
    jsonl_ = std::make_unique<JsonlReader>(path, max_piece_bytes, hash);
  } else {
    text_ = std::make_unique<LineReader>(path, max_piece_bytes, hash);
  }
}

bool CorpusFileReader::next(LineReader::Piece& piece) {
  return jsonl_ ? jsonl_->next(piece) : text_->next(piece);
}

int64_t read_documents(const std::string& path, DocumentSeparator separator,
                       const std::function<void(std::string_view)>& on_text,
                       const std::function<void()>& on_document_end, Sha256* hash, size_t max_piece_bytes) {
  CorpusFileReader reader(path, max_piece_bytes, hash);
  const bool jsonl = is_jsonl_path(path);
  LineReader::Piece piece;
  int64_t documents = 0;
  bool has_text = false;  // the current document holds something besides whitespace
  while (reader.next(piece)) {
    const bool blank = std::all_of(piece.text.begin(), piece.text.end(), is_space);
    if (jsonl) {
      has_text = has_text || !blank;
      if (has_text) on_text(piece.text);
      if (piece.ends_document) {
        if (has_text) {
          on_document_end();
          ++documents;
        }
        has_text = false;
      }
      continue;
    }
    if (separator == DocumentSeparator::blank_line && blank && piece.starts_line && piece.ends_line) {
      if (has_text) {
        on_document_end();
        ++documents;
        has_text = false;
      }
      continue;
    }
    has_text = has_text || !blank;
    if (has_text) on_text(piece.text);
  }
  if (has_text) {
    on_document_end();
    ++documents;
  }
  return documents;
}

}  // namespace ln
