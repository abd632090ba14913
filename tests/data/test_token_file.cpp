#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/sha256.hpp"
#include "data/token_file.hpp"
#include "data/tokenizer.hpp"
#include "support/temp_dir.hpp"
#include "support/text_checks.hpp"

using ln::test::contains;
using ln::test::error_of;

namespace {

// One tokenizer for the whole file: training is the slow part of these tests.
struct Fixture {
  ln::test::TempDir dir;
  ln::Tokenizer tokenizer;
  ln::Tokenizer other;
  Fixture()
      : tokenizer([&] {
          ln::test::write_file(dir / "train.txt", ln::test::generated_text(1500, 11));
          ln::TokenizerTrainOptions options;
          options.vocab_size = 400;
          options.num_threads = 2;
          return ln::Tokenizer::train(options, {dir / "train.txt"}, dir / "tok.model");
        }()),
        other([&] {
          ln::TokenizerTrainOptions options;
          options.vocab_size = 350;
          options.num_threads = 2;
          return ln::Tokenizer::train(options, {dir / "train.txt"}, dir / "other.model");
        }()) {}
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// Short single-line documents, each the whole text of its file (its '\n' included: the
// tokenizer keeps it): the reference token stream is encode(document) + EOS per document,
// computed without the corpus reader.
std::vector<std::string> make_corpus(const ln::test::TempDir& dir, const std::string& name, int files) {
  std::vector<std::string> documents;
  for (int f = 0; f < files; ++f) {
    std::string text = ln::test::generated_text(1, 100 + f);
    text.pop_back();  // drop the '\n'
    text += " part " + std::to_string(f) + " ünïcödé";
    text += "\n";
    ln::test::write_file(dir / (name + "/f" + std::to_string(f) + ".txt"), text);
    documents.push_back(text);
  }
  return documents;
}

void flip_byte(const std::string& path, long offset) {
  std::FILE* f = std::fopen(path.c_str(), "r+b");
  REQUIRE(f);
  std::fseek(f, offset, SEEK_SET);
  const int c = std::fgetc(f);
  std::fseek(f, offset, SEEK_SET);
  std::fputc(c ^ 0x10, f);
  std::fclose(f);
}

}  // namespace

TEST_CASE("token cache: contents, header, documents") {
  Fixture& fx = fixture();
  ln::test::TempDir dir;
  const auto documents = make_corpus(dir, "corpus", 4);
  const auto cache = ln::ensure_token_cache({dir / "corpus"}, fx.tokenizer, dir / "cache");
  CHECK(cache.rebuilt);
  CHECK(contains(cache.reason, "no token cache"));

  std::vector<uint32_t> expected;
  std::vector<uint64_t> offsets = {0};
  for (const std::string& doc : documents) {
    for (int32_t id : fx.tokenizer.encode(doc)) expected.push_back(uint32_t(id));
    expected.push_back(uint32_t(fx.tokenizer.eos_id()));
    offsets.push_back(expected.size());
  }
  const ln::TokenFile file = ln::TokenFile::open(cache.path);
  REQUIRE(file.size() == int64_t(expected.size()));
  CHECK(std::vector<uint32_t>(file.tokens(), file.tokens() + file.size()) == expected);
  CHECK(file.document_offsets() == offsets);
  CHECK(file.document_count() == 4);
  CHECK(file.tokenizer_sha256() == fx.tokenizer.sha256());
  CHECK(file.vocab_size() == uint32_t(fx.tokenizer.vocab_size()));
  REQUIRE(file.sources().size() == 4);
  for (int f = 0; f < 4; ++f) {
    const std::string path = dir / ("corpus/f" + std::to_string(f) + ".txt");
    const auto& source = file.sources()[size_t(f)];
    CHECK(source.path == path);
    CHECK(source.size == std::filesystem::file_size(path));
    CHECK(source.sha256 == ln::sha256_file(path));
    CHECK(source.first_document == uint64_t(f));
    CHECK(source.document_count == 1);
    CHECK(source.mtime_ns > 0);
  }
  // No temporary file is left behind.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir / "cache")) ++entries;
  CHECK(entries == 1);
}

TEST_CASE("token file: tiny parallel-encoding chunks give the same file byte for byte") {
  Fixture& fx = fixture();
  ln::test::TempDir dir;
  make_corpus(dir, "corpus", 6);
  ln::test::write_file(dir / "corpus/multi.txt", "doc one\n\ndoc two is here\n\n\ndoc three\n");
  const auto files = ln::list_corpus_files({dir / "corpus"});
  for (auto separator : {ln::DocumentSeparator::file, ln::DocumentSeparator::blank_line}) {
    ln::build_token_file(files, fx.tokenizer, separator, dir / "big_chunks.bin");
    ln::build_token_file(files, fx.tokenizer, separator, dir / "small_chunks.bin", 7);
    CHECK(ln::test::read_file(dir / "big_chunks.bin") == ln::test::read_file(dir / "small_chunks.bin"));
    CHECK(ln::TokenFile::open(dir / "small_chunks.bin").document_count() ==
          (separator == ln::DocumentSeparator::file ? 7 : 9));
    CHECK(ln::TokenFile::open(dir / "small_chunks.bin").sources()[6].first_document == 6);
  }
}

TEST_CASE("token cache: reused when unchanged, rebuilt on any change") {
  Fixture& fx = fixture();
  ln::test::TempDir dir;
  make_corpus(dir, "corpus", 3);
  const std::vector<std::string> sources = {dir / "corpus"};
  const std::string cache_dir = dir / "cache";
  const auto first = ln::ensure_token_cache(sources, fx.tokenizer, cache_dir);
  REQUIRE(first.rebuilt);

  auto again = ln::ensure_token_cache(sources, fx.tokenizer, cache_dir);
  CHECK(!again.rebuilt);
  CHECK(again.path == first.path);

  SUBCASE("content change of the same size") {
    const std::string path = dir / "corpus/f1.txt";
    std::string text = ln::test::read_file(path);
    text[0] = text[0] == 'x' ? 'y' : 'x';
    const auto mtime = std::filesystem::last_write_time(path);
    ln::test::write_file(path, text);
    std::filesystem::last_write_time(path, mtime);  // even with the old mtime
    again = ln::ensure_token_cache(sources, fx.tokenizer, cache_dir);
    CHECK(again.rebuilt);
    CHECK(contains(again.reason, "f1.txt changed content"));
    const ln::TokenFile file = ln::TokenFile::open(again.path);
    const auto& offsets = file.document_offsets();
    const std::vector<int32_t> doc1(file.tokens() + offsets[1], file.tokens() + offsets[2] - 1);
    CHECK(doc1 == fx.tokenizer.encode(text));
  }
  SUBCASE("size change") {
    ln::test::write_file(dir / "corpus/f2.txt", "a different and longer document than before\n");
    again = ln::ensure_token_cache(sources, fx.tokenizer, cache_dir);
    CHECK(again.rebuilt);
    CHECK(contains(again.reason, "f2.txt changed size"));
  }
  SUBCASE("a new file") {
    ln::test::write_file(dir / "corpus/f9.txt", "new\n");
    again = ln::ensure_token_cache(sources, fx.tokenizer, cache_dir);
    CHECK(again.rebuilt);
    CHECK(contains(again.reason, "the corpus has 4 files, the cache 3"));
    CHECK(ln::TokenFile::open(again.path).document_count() == 4);
  }
  const ln::Tokenizer* used = &fx.tokenizer;
  ln::DocumentSeparator separator = ln::DocumentSeparator::file;
  SUBCASE("another tokenizer") {
    used = &fx.other;
    again = ln::ensure_token_cache(sources, fx.other, cache_dir);
    CHECK(again.rebuilt);
    CHECK(contains(again.reason, "the tokenizer changed"));
    CHECK(ln::TokenFile::open(again.path).tokenizer_sha256() == fx.other.sha256());
  }
  SUBCASE("another document separator") {
    separator = ln::DocumentSeparator::blank_line;
    again = ln::ensure_token_cache(sources, fx.tokenizer, cache_dir, separator);
    CHECK(again.rebuilt);
    CHECK(contains(again.reason, "data.document_separator changed (file -> blank_line)"));
  }
  // One cache file per corpus, and after a rebuild the next call reuses it.
  CHECK(again.path == first.path);
  CHECK(!ln::ensure_token_cache(sources, *used, cache_dir, separator).rebuilt);
}

TEST_CASE("token cache: damaged or truncated files are refused and rebuilt") {
  Fixture& fx = fixture();
  ln::test::TempDir dir;
  make_corpus(dir, "corpus", 3);
  const std::vector<std::string> sources = {dir / "corpus"};
  const auto built = ln::ensure_token_cache(sources, fx.tokenizer, dir / "cache");
  const std::string path = built.path;
  const auto size = long(std::filesystem::file_size(path));
  const std::string good = ln::test::read_file(path);
  const int64_t tokens = ln::TokenFile::open(path).size();

  struct Damage {
    const char* name;
    long offset;
    const char* expected;
  };
  for (const Damage& damage : {Damage{"magic", 0, "bad magic"}, Damage{"header count", 16, "header checksum"},
                               Damage{"first token", 256, "token checksum"},
                               Damage{"last token", 256 + 4 * long(tokens) - 1, "token checksum"},
                               Damage{"index", size - 3, "index checksum"}}) {
    CAPTURE(damage.name);
    ln::test::write_file(path, good);
    flip_byte(path, damage.offset);
    CHECK(contains(error_of([&] { ln::TokenFile::open(path); }), damage.expected));
    const auto rebuilt = ln::ensure_token_cache(sources, fx.tokenizer, dir / "cache");
    CHECK(rebuilt.rebuilt);
    CHECK(contains(rebuilt.reason, "unusable"));
    CHECK(ln::test::read_file(path) == good);  // the same bytes again
  }
  for (long keep : {0L, 100L, 256L + 4 * long(tokens) / 2, size - 1}) {
    CAPTURE(keep);
    std::filesystem::resize_file(path, uintmax_t(keep));
    CHECK(contains(error_of([&] { ln::TokenFile::open(path); }), "truncated"));
    CHECK(ln::ensure_token_cache(sources, fx.tokenizer, dir / "cache").rebuilt);
    CHECK(ln::test::read_file(path) == good);
  }
  std::filesystem::resize_file(path, uintmax_t(size + 8));  // appended junk
  CHECK(contains(error_of([&] { ln::TokenFile::open(path); }), "header says"));
  CHECK(contains(ln::token_cache_stale_reason(path, ln::list_corpus_files(sources), fx.tokenizer,
                                              ln::DocumentSeparator::file),
                 "unusable"));
}

TEST_CASE("token cache: invalid UTF-8 and empty corpora are errors") {
  Fixture& fx = fixture();
  ln::test::TempDir dir;
  make_corpus(dir, "corpus", 2);
  ln::test::write_file(dir / "corpus/f1.txt", "good start \xc3\x28 bad\n");
  const std::string message =
      error_of([&] { ln::ensure_token_cache({dir / "corpus"}, fx.tokenizer, dir / "cache"); });
  CHECK(contains(message, dir / "corpus/f1.txt"));
  CHECK(contains(message, "byte offset 11"));
  // Nothing half-written is left in the cache directory.
  for (const auto& entry : std::filesystem::directory_iterator(dir / "cache")) {
    FAIL("unexpected file " << entry.path());
  }
  ln::test::write_file(dir / "blank/a.txt", "\n \n");
  CHECK(contains(error_of([&] { ln::ensure_token_cache({dir / "blank"}, fx.tokenizer, dir / "cache"); }),
                 "holds no text"));
}

TEST_CASE("token cache: blank-line documents and long lines stream through") {
  Fixture& fx = fixture();
  ln::test::TempDir dir;
  std::string long_line;
  while (long_line.size() < 200000) long_line += "the people of the states and the nation ";
  ln::test::write_file(dir / "c/a.txt", "first doc\nstill first\n\n\nsecond doc\n\n" + long_line + "\n");
  const auto cache =
      ln::ensure_token_cache({dir / "c"}, fx.tokenizer, dir / "cache", ln::DocumentSeparator::blank_line);
  const ln::TokenFile file = ln::TokenFile::open(cache.path);
  REQUIRE(file.document_count() == 3);
  CHECK(file.separator() == ln::DocumentSeparator::blank_line);
  const auto& offsets = file.document_offsets();
  auto document_text = [&](int d) {
    std::vector<int32_t> ids(file.tokens() + offsets[size_t(d)], file.tokens() + offsets[size_t(d) + 1] - 1);
    CHECK(file.tokens()[offsets[size_t(d) + 1] - 1] == uint32_t(fx.tokenizer.eos_id()));
    return fx.tokenizer.decode(ids);
  };
  // Documents decode to their exact text, line breaks included; the blank lines between
  // them belong to no document.
  CHECK(document_text(0) == "first doc\nstill first\n");
  CHECK(document_text(1) == "second doc\n");
  // The long line was encoded in pieces; decoding gives the text back exactly.
  CHECK(document_text(2) == long_line + "\n");
}
