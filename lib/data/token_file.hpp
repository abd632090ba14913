#pragma once
// The tokenized corpus: one file of uint32 tokens (documents joined by EOS), memory-mapped
// for reading, and the cache logic that decides when it must be rebuilt.
//
// Layout (native little-endian; format version 1):
//   [0, 256)            preamble: magic "LNTOKENS", version, endianness mark, token count,
//                       offsets/sizes of the sections, total file size, vocab size, the
//                       tokenizer's sha256, checksums of tokens and index, and a checksum
//                       of the preamble itself
//   [256, 256 + 4N)     N uint32 tokens
//   [index_offset, end) index: document separator, each source file (path, size, mtime,
//                       sha256, first document, document count), the document offsets
// The index follows the tokens because document boundaries are only known once the
// corpus has been streamed through the tokenizer; the preamble is written last (at offset
// 0) and the file is renamed into place, so a reader never sees a half-written file.
#include <cstdint>
#include <string>
#include <vector>

#include "data/corpus.hpp"

namespace ln {

class Tokenizer;

struct TokenSource {
  std::string path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  std::string sha256;
  uint64_t first_document = 0;
  uint64_t document_count = 0;
};

class TokenFile {
 public:
  // Maps the file and validates it: magic, version, sizes, preamble and index checksums,
  // monotone document offsets and (with verify_tokens) the tokens' checksum and range.
  // Anything wrong is an ln::Error naming the path and what is wrong.
  static TokenFile open(const std::string& path, bool verify_tokens = true);

  TokenFile(TokenFile&& other) noexcept;
  TokenFile& operator=(TokenFile&& other) noexcept;
  TokenFile(const TokenFile&) = delete;
  TokenFile& operator=(const TokenFile&) = delete;
  ~TokenFile();

  const uint32_t* tokens() const { return tokens_; }
  int64_t size() const { return token_count_; }
  // document d is tokens [offsets[d], offsets[d+1]), its last token being EOS.
  int64_t document_count() const { return int64_t(document_offsets_.size()) - 1; }
  const std::vector<uint64_t>& document_offsets() const { return document_offsets_; }
  const std::vector<TokenSource>& sources() const { return sources_; }
  const std::string& tokenizer_sha256() const { return tokenizer_sha256_; }
  uint32_t vocab_size() const { return vocab_size_; }
  DocumentSeparator separator() const { return separator_; }
  const std::string& path() const { return path_; }

 private:
  TokenFile() = default;
  void unmap();

  std::string path_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  const uint32_t* tokens_ = nullptr;
  int64_t token_count_ = 0;
  std::vector<uint64_t> document_offsets_;
  std::vector<TokenSource> sources_;
  std::string tokenizer_sha256_;
  uint32_t vocab_size_ = 0;
  DocumentSeparator separator_ = DocumentSeparator::file;
};

// Tokenizes `files` (from list_corpus_files) document by document into `out_path`, written
// under a temporary name and renamed. Streams: memory is bounded by the piece and write
// buffer sizes, not by the corpus.
void build_token_file(const std::vector<std::string>& files, const Tokenizer& tokenizer,
                      DocumentSeparator separator, const std::string& out_path);

// Why the token file at `path` cannot be used for these files and tokenizer, or "" when it
// can. Always hashes every source, so a content change of the same size is caught.
std::string token_cache_stale_reason(const std::string& path, const std::vector<std::string>& files,
                                     const Tokenizer& tokenizer, DocumentSeparator separator);

struct TokenCache {
  std::string path;
  bool rebuilt = false;
  std::string reason;  // why it was rebuilt
};

// The cached token file of this corpus under `cache_dir` (named after the corpus file list
// and separator), rebuilt when stale, saying so on stderr: "rebuilding token cache: <reason>".
TokenCache ensure_token_cache(const std::vector<std::string>& sources, const Tokenizer& tokenizer,
                              const std::string& cache_dir,
                              DocumentSeparator separator = DocumentSeparator::file);

}  // namespace ln
