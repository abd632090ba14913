#include "data/corpus.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "core/error.hpp"
#include "data/sha256.hpp"

namespace ln {

namespace fs = std::filesystem;

DocumentSeparator parse_document_separator(std::string_view name) {
  if (name == "file") return DocumentSeparator::file;
  if (name == "blank_line") return DocumentSeparator::blank_line;
  LN_FAIL("[corpus] data.document_separator is '", name, "'; use 'file' or 'blank_line'");
}

const char* to_string(DocumentSeparator separator) {
  return separator == DocumentSeparator::file ? "file" : "blank_line";
}

std::vector<std::string> list_corpus_files(const std::vector<std::string>& sources) {
  LN_CHECK(!sources.empty(), "[corpus] no corpus source given; set data.corpus to a file or a directory");
  std::vector<std::string> files;
  for (const std::string& source : sources) {
    const fs::path path = fs::absolute(fs::path(source)).lexically_normal();
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    LN_CHECK(!ec && fs::exists(status), "[corpus] corpus source ", source,
             " does not exist; check data.corpus (for the default corpus run data/fetch_sotu.sh)");
    if (fs::is_regular_file(status)) {
      files.push_back(path.string());
      continue;
    }
    LN_CHECK(fs::is_directory(status), "[corpus] corpus source ", source,
             " is neither a regular file nor a directory");
    // Hidden entries (".git", ".complete" markers, editor files) are not text of the corpus.
    std::vector<std::string> found;
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
    LN_CHECK(!ec, "[corpus] cannot list ", source, ": ", ec.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      LN_CHECK(!ec, "[corpus] cannot list ", source, ": ", ec.message());
      const std::string name = it->path().filename().string();
      if (!name.empty() && name[0] == '.') {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec)) found.push_back(it->path().lexically_normal().string());
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  LN_CHECK(!files.empty(), "[corpus] no regular files found in the corpus sources (", sources.front(),
           sources.size() > 1 ? ", ..." : "", ")");
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

int64_t read_documents(const std::string& path, DocumentSeparator separator,
                       const std::function<void(std::string_view)>& on_text,
                       const std::function<void()>& on_document_end, Sha256* hash, size_t max_piece_bytes) {
  LineReader reader(path, max_piece_bytes, hash);
  LineReader::Piece piece;
  int64_t documents = 0;
  bool has_text = false;  // the current document holds something besides whitespace
  while (reader.next(piece)) {
    const bool blank = std::all_of(piece.text.begin(), piece.text.end(), is_space);
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
