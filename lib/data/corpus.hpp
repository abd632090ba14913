#pragma once
// A corpus on disk: which files it is made of, and how to read them as UTF-8 documents in
// bounded memory.
//
// A corpus source is a file, a directory (walked recursively; regular files only, sorted
// by path so every machine sees the same order) or a glob pattern (`*`, `?`, `[...]`, as the
// shell expands them; matches sorted). Binary files (a NUL byte, or over 30% control characters
// or invalid UTF-8, in their first 8 KiB) are skipped with one warning line naming them. A `.jsonl` file
// holds one JSON object per line whose "text" string field is a document (blank lines are ignored). Files are
// read in blocks and handed out as pieces: whole lines, or slices of a long line cut at whitespace (the State
// of the Union files are one 10-200 KB line each), so memory never depends on the size of a file.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/enum_names.hpp"

namespace ln {

class Sha256;

// How a file is cut into documents (config key data.document_separator).
enum class DocumentSeparator { file, blank_line };
// The names: the only list of them (core/enum_names.hpp); the config parses them once.
inline constexpr EnumName<DocumentSeparator> kDocumentSeparatorNames[] = {
    {"file", DocumentSeparator::file}, {"blank_line", DocumentSeparator::blank_line}};
DocumentSeparator parse_document_separator(std::string_view name);  // "file" | "blank_line"
const char* to_string(DocumentSeparator separator);

// The regular text files of the given sources, in order: each source as given, a directory's
// files and a glob's matches sorted by path. Paths are absolute and lexically normal. Binary
// files are left out, with one warning line on stderr naming them (once per process). ln::Error
// naming `key` (the config key or flag the sources came from, e.g. "data.train" or "--data")
// for a missing source, a glob matching nothing, or when no text file is found.
std::vector<std::string> list_corpus_files(const std::vector<std::string>& sources,
                                           const std::string& key = "data.train");

// True when `source` exists, or is a glob pattern matching at least one path.
bool corpus_source_exists(const std::string& source);

// True when the file's first 8 KiB hold a NUL byte, or over 30% bytes that are control
// characters (other than \t \n \r \f \v ESC) or not UTF-8: not text. Text in another
// encoding (a few % non-UTF-8 bytes) is not binary: reading it is an error naming the byte.
bool looks_binary(const std::string& path);

// True for a ".jsonl" file (documents are the "text" fields of its lines).
bool is_jsonl_path(const std::string& path);

// First invalid UTF-8 byte in `text`, or -1 when it is all valid. Overlong forms,
// surrogates and code points above U+10FFFF are invalid; a sequence cut by the end of
// `text` is invalid too (callers pass complete pieces).
int64_t find_invalid_utf8(std::string_view text);

// Pull reader over one file. next() returns the next piece of at most `max_piece_bytes`
// bytes: a line including its '\n', or a slice of a longer line cut after whitespace
// (else at a character boundary). Every piece is checked to be UTF-8; an invalid byte is an
// ln::Error naming the file and the byte offset. If `hash` is given, every byte of the file
// is fed to it as it is read.
class LineReader {
 public:
  struct Piece {
    std::string_view text;  // valid until the next call to next()
    bool starts_line = false;
    bool ends_line = false;      // ends with '\n' or at the end of the file
    bool ends_document = false;  // the last piece of a JSONL line's text (JsonlReader only)
  };

  LineReader(const std::string& path, size_t max_piece_bytes, Sha256* hash = nullptr);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  bool next(Piece& piece);
  uint64_t bytes_read() const { return file_offset_; }
  const std::string& path() const { return path_; }

 private:
  bool fill();  // reads more into the buffer; false at end of file

  std::string path_;
  std::FILE* file_ = nullptr;
  Sha256* hash_ = nullptr;
  size_t max_piece_ = 0;
  std::string buffer_;
  size_t begin_ = 0, end_ = 0;  // unread bytes are buffer_[begin_, end_)
  uint64_t buffer_offset_ = 0;  // file offset of buffer_[0]
  uint64_t file_offset_ = 0;    // bytes read from the file so far
  bool eof_ = false;
  bool at_line_start_ = true;
};

// Pull reader over a .jsonl file: the "text" field of each line, handed out as LineReader
// does for a text file (lines of the text, long lines cut at whitespace); the last piece of
// each line's text has ends_document set (an empty text yields nothing). A line that is not a
// JSON object with a string "text" is an ln::Error naming the file and the line number.
class JsonlReader {
 public:
  JsonlReader(const std::string& path, size_t max_piece_bytes, Sha256* hash = nullptr);
  bool next(LineReader::Piece& piece);

 private:
  bool load_next_line();  // the next non-blank line's text into text_; false at end of file

  LineReader lines_;
  size_t max_piece_;
  int64_t line_number_ = 0;
  std::string line_, text_;
  size_t at_ = 0;
  bool at_line_start_ = true;
};

// Either reader, chosen by the file name (.jsonl or not).
class CorpusFileReader {
 public:
  CorpusFileReader(const std::string& path, size_t max_piece_bytes, Sha256* hash = nullptr);
  bool next(LineReader::Piece& piece);

 private:
  std::unique_ptr<LineReader> text_;
  std::unique_ptr<JsonlReader> jsonl_;
};

// Streams one file as documents: on_text(piece) for each piece of a document, then
// on_document_end() once the document is complete. With DocumentSeparator::blank_line a
// run of blank (whitespace-only) lines ends a document; documents holding only whitespace
// are dropped (no on_document_end for them). A .jsonl file's documents are its lines' "text"
// fields whatever the separator. Returns the number of documents.
int64_t read_documents(const std::string& path, DocumentSeparator separator,
                       const std::function<void(std::string_view)>& on_text,
                       const std::function<void()>& on_document_end, Sha256* hash = nullptr,
                       size_t max_piece_bytes = 1 << 16);

}  // namespace ln
