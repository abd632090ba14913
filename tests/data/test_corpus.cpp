#include <doctest/doctest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/corpus.hpp"
#include "data/sha256.hpp"
#include "support/temp_dir.hpp"
#include "support/text_checks.hpp"

using ln::test::error_of;

TEST_CASE("corpus: directories are walked recursively, sorted, regular non-hidden files only") {
  ln::test::TempDir dir;
  ln::test::write_file(dir / "c/b.txt", "b");
  ln::test::write_file(dir / "c/a.txt", "a");
  ln::test::write_file(dir / "c/sub/z.txt", "z");
  ln::test::write_file(dir / "c/sub/0.txt", "0");
  ln::test::write_file(dir / "c/.complete", "marker");
  ln::test::write_file(dir / "c/.git/objects", "x");
  REQUIRE(::mkfifo((dir / "c/fifo").c_str(), 0644) == 0);
  ln::test::write_file(dir / "single.txt", "s");

  const auto files = ln::list_corpus_files({dir / "single.txt", dir / "c"});
  const std::vector<std::string> expected = {dir / "single.txt", dir / "c/a.txt", dir / "c/b.txt",
                                             dir / "c/sub/0.txt", dir / "c/sub/z.txt"};
  CHECK(files == expected);
  // Relative and unnormalized spellings resolve to the same absolute paths.
  CHECK(ln::list_corpus_files({(dir.path() / "c" / ".." / "single.txt").string()}) ==
        std::vector<std::string>{dir / "single.txt"});

  CHECK(error_of([&] { ln::list_corpus_files({dir / "missing"}); }).find("does not exist") !=
        std::string::npos);
  CHECK(error_of([&] { ln::list_corpus_files({dir / "c/fifo"}); }).find("neither") != std::string::npos);
  std::filesystem::create_directories(dir / "empty");
  CHECK(error_of([&] { ln::list_corpus_files({dir / "empty"}); }).find("no regular files") !=
        std::string::npos);
}

TEST_CASE("corpus: UTF-8 validation") {
  CHECK(ln::find_invalid_utf8("") == -1);
  CHECK(ln::find_invalid_utf8("plain ascii text, longer than eight bytes") == -1);
  CHECK(ln::find_invalid_utf8("café 日本語 😀 ∑") == -1);
  CHECK(ln::find_invalid_utf8("abc\xff") == 3);
  CHECK(ln::find_invalid_utf8("abcdefghij\x80z") == 10);   // lone continuation byte
  CHECK(ln::find_invalid_utf8("ab\xc3") == 2);             // cut sequence
  CHECK(ln::find_invalid_utf8("ab\xc0\xaf") == 2);         // overlong '/'
  CHECK(ln::find_invalid_utf8("x\xed\xa0\x80") == 1);      // surrogate U+D800
  CHECK(ln::find_invalid_utf8("x\xf4\x90\x80\x80") == 1);  // above U+10FFFF
  CHECK(ln::find_invalid_utf8("\xe2\x82") == 0);
}

TEST_CASE("corpus: LineReader cuts long lines at whitespace and hashes every byte") {
  ln::test::TempDir dir;
  std::string text;
  for (int i = 0; i < 3000; ++i) text += (i % 7 == 0 ? "日本 " : "word ");
  text += "\nshort line\n\nanotherlinewithoutanyspaceatallthatislongerthanthelimit-é-é-é-é-é-é-é-é\nlast";
  ln::test::write_file(dir / "f.txt", text);
  ln::Sha256 hash;
  ln::LineReader reader(dir / "f.txt", 32, &hash);
  ln::LineReader::Piece piece;
  std::string joined;
  int lines = 0;
  while (reader.next(piece)) {
    CHECK(piece.text.size() <= 32);
    CHECK(ln::find_invalid_utf8(piece.text) == -1);  // never cut inside a character
    joined += piece.text;
    if (piece.ends_line) ++lines;
  }
  CHECK(joined == text);
  CHECK(lines == 5);
  CHECK(reader.bytes_read() == text.size());
  CHECK(hash.hex_digest() == ln::sha256_hex(text));
}

TEST_CASE("corpus: invalid UTF-8 names the file and the byte offset, past the first buffer") {
  ln::test::TempDir dir;
  std::string text;
  while (text.size() < 1500000) text += "valid text line\n";
  const size_t bad_at = text.size() + 6;
  text += "still \xff bad\n";
  ln::test::write_file(dir / "bad.txt", text);
  const std::string message = error_of([&] {
    ln::read_documents(
        dir / "bad.txt", ln::DocumentSeparator::file, [](std::string_view) {}, [] {});
  });
  CHECK(message.find(dir / "bad.txt") != std::string::npos);
  CHECK(message.find("byte offset " + std::to_string(bad_at) + ")") != std::string::npos);
}

TEST_CASE("corpus: documents by file or by blank-line runs") {
  ln::test::TempDir dir;
  ln::test::write_file(dir / "d.txt", "\n\none a\none b\n\n\n  \ntwo\n\t\nthree\n\n");
  std::vector<std::string> docs(1);
  auto collect = [&](ln::DocumentSeparator separator) {
    docs.assign(1, "");
    const int64_t n = ln::read_documents(
        dir / "d.txt", separator, [&](std::string_view t) { docs.back() += t; },
        [&] { docs.emplace_back(); });
    CHECK(docs.back().empty());
    docs.pop_back();
    CHECK(n == int64_t(docs.size()));
  };
  collect(ln::DocumentSeparator::blank_line);
  CHECK(docs == std::vector<std::string>{"one a\none b\n", "two\n", "three\n"});
  collect(ln::DocumentSeparator::file);
  REQUIRE(docs.size() == 1);
  CHECK(docs[0] == "one a\none b\n\n\n  \ntwo\n\t\nthree\n\n");

  ln::test::write_file(dir / "blank.txt", "\n  \n\n");
  CHECK(ln::read_documents(
            dir / "blank.txt", ln::DocumentSeparator::file, [](std::string_view) {}, [] {}) == 0);

  CHECK(ln::parse_document_separator("blank_line") == ln::DocumentSeparator::blank_line);
  CHECK(error_of([] { ln::parse_document_separator("lines"); }).find("'file' or 'blank_line'") !=
        std::string::npos);
}
