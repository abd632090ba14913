#include "data/token_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "core/error.hpp"
#include "data/document_encoder.hpp"
#include "data/sha256.hpp"
#include "data/token_file_format.hpp"
#include "data/tokenizer.hpp"

namespace ln {

namespace fs = std::filesystem;

namespace {

using namespace token_file_format;

// Serializes the index section.
class IndexWriter {
 public:
  template <typename T>
  void put(T value) {
    bytes_.append(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  void put_string(const std::string& s) {
    put<uint32_t>(uint32_t(s.size()));
    bytes_ += s;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

// Reads the index section with bounds checks: a damaged length must not read past the map.
class IndexReader {
 public:
  IndexReader(const char* data, size_t size, const std::string& path)
      : data_(data), size_(size), path_(path) {}
  template <typename T>
  T get() {
    need(sizeof(T));
    T value;
    std::memcpy(&value, data_ + at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }
  std::string get_string(size_t max_length = 1 << 16) {
    const uint32_t length = get<uint32_t>();
    LN_CHECK(length <= max_length, "[token_file] ", path_, " is damaged (string of ", length,
             " bytes in the index); delete it to rebuild");
    need(length);
    std::string s(data_ + at_, length);
    at_ += length;
    return s;
  }
  bool at_end() const { return at_ == size_; }

 private:
  void need(size_t n) {
    LN_CHECK(n <= size_ - at_, "[token_file] ", path_,
             " is damaged (index ends early); delete it to rebuild");
  }
  const char* data_;
  size_t size_;
  size_t at_ = 0;
  const std::string& path_;
};

struct FileStat {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};
FileStat stat_file(const std::string& path) {
  struct stat st;
  LN_CHECK(::stat(path.c_str(), &st) == 0, "[token_file] cannot stat ", path, ": ", std::strerror(errno));
  return {uint64_t(st.st_size), int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

// Buffered token output that keeps the running checksum.
class TokenWriter {
 public:
  TokenWriter(std::FILE* file, const std::string& path) : file_(file), path_(path) {
    buffer_.reserve(kFlushAt + (1 << 16));
  }
  std::vector<int32_t>& buffer() { return buffer_; }
  void maybe_flush() {
    if (buffer_.size() >= kFlushAt) flush();
  }
  void flush() {
    static_assert(sizeof(int32_t) == sizeof(uint32_t));
    const auto* tokens = reinterpret_cast<const uint32_t*>(buffer_.data());
    checksum_ = checksum_tokens(checksum_, tokens, buffer_.size());
    LN_CHECK(std::fwrite(tokens, sizeof(uint32_t), buffer_.size(), file_) == buffer_.size(),
             "[token_file] error writing ", path_, ": ", std::strerror(errno));
    written_ += buffer_.size();
    buffer_.clear();
  }
  uint64_t count() const { return written_ + buffer_.size(); }
  uint64_t checksum() const { return checksum_; }

 private:
  static constexpr size_t kFlushAt = 1 << 20;
  std::FILE* file_;
  const std::string& path_;
  std::vector<int32_t> buffer_;
  uint64_t written_ = 0;
  uint64_t checksum_ = kChecksumSeed;
};

}  // namespace

// ---------------------------------------------------------------------------------------
// Reading

TokenFile TokenFile::open(const std::string& path, bool verify_tokens) {
  TokenFile file;
  file.path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  LN_CHECK(fd >= 0, "[token_file] cannot open ", path, ": ", std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int saved = errno;
    ::close(fd);
    LN_FAIL("[token_file] cannot stat ", path, ": ", std::strerror(saved));
  }
  const size_t size = size_t(st.st_size);
  if (size < kPreambleBytes) {
    ::close(fd);
    LN_FAIL("[token_file] ", path, " is truncated (", size, " bytes, less than its ", kPreambleBytes,
            "-byte header); delete it to rebuild");
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int saved = errno;
  ::close(fd);
  LN_CHECK(map != MAP_FAILED, "[token_file] cannot mmap ", path, ": ", std::strerror(saved));
  file.map_ = map;
  file.map_size_ = size;
  const char* base = static_cast<const char*>(map);

  Preamble pre;
  std::memcpy(&pre, base, sizeof(pre));
  LN_CHECK(std::memcmp(pre.magic, kMagic, sizeof(kMagic)) == 0, "[token_file] ", path,
           " is not a longnet token file (bad magic); delete it to rebuild");
  LN_CHECK(pre.endian_mark == kEndianMark, "[token_file] ", path,
           " was written on a machine of the other byte order; delete it to rebuild");
  LN_CHECK(pre.version == kVersion, "[token_file] ", path, " has format version ", pre.version,
           " but this build reads version ", kVersion, "; delete it to rebuild");
  LN_CHECK(pre.preamble_checksum == checksum_bytes(base, offsetof(Preamble, preamble_checksum)),
           "[token_file] ", path, " is damaged (header checksum mismatch); delete it to rebuild");
  LN_CHECK(pre.file_bytes == size, "[token_file] ", path, " is truncated or damaged (", size,
           " bytes, its header says ", pre.file_bytes, "); delete it to rebuild");
  LN_CHECK(pre.tokens_offset == kPreambleBytes && pre.token_count <= (size - kPreambleBytes) / 4 &&
               pre.index_offset == pre.tokens_offset + 4 * pre.token_count &&
               pre.index_bytes == size - pre.index_offset,
           "[token_file] ", path, " is damaged (inconsistent section sizes); delete it to rebuild");
  LN_CHECK(pre.index_checksum == checksum_bytes(base + pre.index_offset, pre.index_bytes), "[token_file] ",
           path, " is damaged (index checksum mismatch); delete it to rebuild");

  file.tokens_ = reinterpret_cast<const uint32_t*>(base + pre.tokens_offset);
  file.token_count_ = int64_t(pre.token_count);
  file.vocab_size_ = pre.vocab_size;
  file.tokenizer_sha256_.assign(pre.tokenizer_sha256, 64);

  IndexReader index(base + pre.index_offset, pre.index_bytes, path);
  const uint32_t separator = index.get<uint32_t>();
  LN_CHECK(separator <= 1, "[token_file] ", path, " is damaged (document separator ", separator, ")");
  file.separator_ = separator == 0 ? DocumentSeparator::file : DocumentSeparator::blank_line;
  const uint64_t source_count = index.get<uint64_t>();
  LN_CHECK(source_count <= pre.index_bytes, "[token_file] ", path, " is damaged (source count)");
  for (uint64_t s = 0; s < source_count; ++s) {
    TokenSource source;
    source.path = index.get_string();
    source.size = index.get<uint64_t>();
    source.mtime_ns = index.get<int64_t>();
    source.sha256 = index.get_string(64);
    source.first_document = index.get<uint64_t>();
    source.document_count = index.get<uint64_t>();
    file.sources_.push_back(std::move(source));
  }
  const uint64_t document_count = index.get<uint64_t>();
  LN_CHECK(document_count < pre.index_bytes / 8, "[token_file] ", path, " is damaged (document count)");
  file.document_offsets_.resize(document_count + 1);
  for (auto& offset : file.document_offsets_) offset = index.get<uint64_t>();
  LN_CHECK(index.at_end(), "[token_file] ", path, " is damaged (trailing bytes in the index)");
  const auto& offsets = file.document_offsets_;
  LN_CHECK(offsets.front() == 0 && offsets.back() == pre.token_count, "[token_file] ", path,
           " is damaged (document offsets do not span the tokens)");
  for (size_t d = 0; d + 1 < offsets.size(); ++d) {
    LN_CHECK(offsets[d] < offsets[d + 1], "[token_file] ", path, " is damaged (document ", d, " is empty)");
  }

  if (verify_tokens) {
    LN_CHECK(checksum_tokens(kChecksumSeed, file.tokens_, pre.token_count) == pre.tokens_checksum,
             "[token_file] ", path, " is damaged (token checksum mismatch); delete it to rebuild");
    for (int64_t i = 0; i < file.token_count_; ++i) {
      LN_CHECK(file.tokens_[i] < pre.vocab_size, "[token_file] ", path, " holds token ", file.tokens_[i],
               " at ", i, ", outside its vocabulary of ", pre.vocab_size, "; delete it to rebuild");
    }
  }
  return file;
}

TokenFile::TokenFile(TokenFile&& other) noexcept { *this = std::move(other); }

TokenFile& TokenFile::operator=(TokenFile&& other) noexcept {
  if (this != &other) {
    unmap();
    path_ = std::move(other.path_);
    map_ = other.map_;
    map_size_ = other.map_size_;
    tokens_ = other.tokens_;
    token_count_ = other.token_count_;
    document_offsets_ = std::move(other.document_offsets_);
    sources_ = std::move(other.sources_);
    tokenizer_sha256_ = std::move(other.tokenizer_sha256_);
    vocab_size_ = other.vocab_size_;
    separator_ = other.separator_;
    other.map_ = nullptr;
    other.map_size_ = 0;
    other.tokens_ = nullptr;
    other.token_count_ = 0;
  }
  return *this;
}

TokenFile::~TokenFile() { unmap(); }

void TokenFile::unmap() {
  if (map_) ::munmap(map_, map_size_);
  map_ = nullptr;
}

// ---------------------------------------------------------------------------------------
// Writing

void build_token_file(const std::vector<std::string>& files, const Tokenizer& tokenizer,
                      DocumentSeparator separator, const std::string& out_path, size_t chunk_bytes) {
  LN_CHECK(tokenizer.sha256().size() == 64, "[token_file] tokenizer has no sha256");
  const std::string tmp = out_path + ".tmp." + std::to_string(::getpid());
  std::FILE* out = std::fopen(tmp.c_str(), "wb");
  LN_CHECK(out, "[token_file] cannot create ", tmp, ": ", std::strerror(errno),
           "; check that the cache directory is writable");
  try {
    const char zeros[kPreambleBytes] = {};
    LN_CHECK(std::fwrite(zeros, 1, kPreambleBytes, out) == kPreambleBytes, "[token_file] error writing ", tmp,
             ": ", std::strerror(errno));
    TokenWriter writer(out, tmp);
    std::vector<uint64_t> offsets = {0};
    std::vector<TokenSource> sources;
    // Tokens go into the writer's buffer, written away after each chunk; each document end
    // records the offset after its EOS.
    DocumentEncoder encoder(
        tokenizer, writer.buffer(), chunk_bytes,
        {[&] { offsets.push_back(writer.count()); }, [&](uint64_t) { writer.maybe_flush(); }});
    uint64_t documents = 0;
    for (const std::string& path : files) {
      TokenSource source;
      source.path = path;
      const FileStat before = stat_file(path);
      source.size = before.size;
      source.mtime_ns = before.mtime_ns;
      source.first_document = documents;
      Sha256 hash;
      source.document_count = uint64_t(read_documents(
          path, separator, [&](std::string_view text) { encoder.add_text(text); },
          [&] { encoder.end_document(); }, &hash));
      documents += source.document_count;
      // The recorded hash is of the bytes actually read; a file that grew or shrank while
      // it was read would make the cache describe a file that never existed.
      LN_CHECK(stat_file(path).size == before.size, "[token_file] ", path,
               " changed while it was being tokenized; run again");
      source.sha256 = hash.hex_digest();
      sources.push_back(std::move(source));
    }
    encoder.flush();
    writer.flush();
    LN_CHECK(writer.count() > 0, "[token_file] the corpus holds no text (", files.size(),
             " files, all empty or whitespace)");

    IndexWriter index;
    index.put<uint32_t>(separator == DocumentSeparator::file ? 0 : 1);
    index.put<uint64_t>(sources.size());
    for (const TokenSource& s : sources) {
      index.put_string(s.path);
      index.put<uint64_t>(s.size);
      index.put<int64_t>(s.mtime_ns);
      index.put_string(s.sha256);
      index.put<uint64_t>(s.first_document);
      index.put<uint64_t>(s.document_count);
    }
    index.put<uint64_t>(offsets.size() - 1);
    for (uint64_t offset : offsets) index.put<uint64_t>(offset);
    LN_CHECK(std::fwrite(index.bytes().data(), 1, index.bytes().size(), out) == index.bytes().size(),
             "[token_file] error writing ", tmp, ": ", std::strerror(errno));

    Preamble pre{};
    std::memcpy(pre.magic, kMagic, sizeof(kMagic));
    pre.version = kVersion;
    pre.endian_mark = kEndianMark;
    pre.token_count = writer.count();
    pre.tokens_offset = kPreambleBytes;
    pre.index_offset = kPreambleBytes + 4 * writer.count();
    pre.index_bytes = index.bytes().size();
    pre.file_bytes = pre.index_offset + pre.index_bytes;
    pre.tokens_checksum = writer.checksum();
    pre.index_checksum = checksum_bytes(index.bytes().data(), index.bytes().size());
    pre.vocab_size = uint32_t(tokenizer.vocab_size());
    std::memcpy(pre.tokenizer_sha256, tokenizer.sha256().data(), 64);
    pre.preamble_checksum = checksum_bytes(&pre, offsetof(Preamble, preamble_checksum));
    LN_CHECK(std::fseek(out, 0, SEEK_SET) == 0 && std::fwrite(&pre, sizeof(pre), 1, out) == 1 &&
                 std::fflush(out) == 0 && ::fsync(::fileno(out)) == 0,
             "[token_file] error writing ", tmp, ": ", std::strerror(errno));
    const int closed = std::fclose(out);
    out = nullptr;
    LN_CHECK(closed == 0, "[token_file] error closing ", tmp, ": ", std::strerror(errno));
    std::error_code ec;
    fs::rename(tmp, out_path, ec);
    LN_CHECK(!ec, "[token_file] cannot rename ", tmp, " to ", out_path, ": ", ec.message());
  } catch (...) {
    if (out) std::fclose(out);
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
}

// ---------------------------------------------------------------------------------------
// The cache

std::string token_cache_stale_reason(const std::string& path, const std::vector<std::string>& files,
                                     const Tokenizer& tokenizer, DocumentSeparator separator) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return "no token cache at " + path + " yet";
  std::string damaged;
  try {
    TokenFile file = TokenFile::open(path);
    if (file.tokenizer_sha256() != tokenizer.sha256()) {
      return "the tokenizer changed (cache made with " + file.tokenizer_sha256().substr(0, 12) + ", now " +
             tokenizer.sha256().substr(0, 12) + ")";
    }
    if (file.separator() != separator) {
      return std::string("data.document_separator changed (") + to_string(file.separator()) + " -> " +
             to_string(separator) + ")";
    }
    const auto& sources = file.sources();
    if (sources.size() != files.size()) {
      return "the corpus has " + std::to_string(files.size()) + " files, the cache " +
             std::to_string(sources.size());
    }
    for (size_t i = 0; i < files.size(); ++i) {
      if (sources[i].path != files[i]) return "the corpus file list changed (" + files[i] + ")";
    }
    for (size_t i = 0; i < files.size(); ++i) {
      const FileStat now = stat_file(files[i]);
      if (now.size != sources[i].size) return files[i] + " changed size";
    }
    for (size_t i = 0; i < files.size(); ++i) {
      if (sha256_file(files[i]) != sources[i].sha256) return files[i] + " changed content";
    }
    return {};
  } catch (const Error& e) {
    damaged = e.message();
  }
  return "the cache is unusable: " + damaged;
}

TokenCache ensure_token_cache(const std::vector<std::string>& sources, const Tokenizer& tokenizer,
                              const std::string& cache_dir, DocumentSeparator separator) {
  const std::vector<std::string> files = list_corpus_files(sources);
  // Named after the sources as given (not the files found in them), so a file added to a
  // corpus directory rebuilds this cache rather than leaving it behind as an orphan.
  std::string key;
  for (const std::string& s : sources) key += fs::absolute(fs::path(s)).lexically_normal().string() + "\n";
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  LN_CHECK(!ec, "[token_file] cannot create the cache directory ", cache_dir, ": ", ec.message());
  TokenCache cache;
  cache.path = (fs::path(cache_dir) / ("tokens-" + sha256_hex(key).substr(0, 16) + ".bin")).string();
  cache.reason = token_cache_stale_reason(cache.path, files, tokenizer, separator);
  if (cache.reason.empty()) return cache;
  std::cerr << "rebuilding token cache: " << cache.reason << std::endl;
  build_token_file(files, tokenizer, separator, cache.path);
  cache.rebuilt = true;
  return cache;
}

}  // namespace ln
