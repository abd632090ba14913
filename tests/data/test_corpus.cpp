#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <random>
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
  CHECK(error_of([&] { ln::list_corpus_files({dir / "empty"}); }).find("no text files") != std::string::npos);
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

namespace {

// Runs f with file descriptor 2 sent to `path`; returns what was written there.
template <class F>
std::string stderr_of(const std::string& path, F&& f) {
  std::fflush(stderr);
  std::cerr.flush();
  const int saved = ::dup(2);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::dup2(fd, 2);
  ::close(fd);
  try {
    f();
  } catch (...) {
    std::cerr.flush();
    ::dup2(saved, 2);
    ::close(saved);
    throw;
  }
  std::cerr.flush();
  ::dup2(saved, 2);
  ::close(saved);
  return ln::test::read_file(path);
}

// Every document of a file as a string, via read_documents.
std::vector<std::string> documents_of(const std::string& path, ln::DocumentSeparator separator,
                                      size_t max_piece_bytes = 1 << 16) {
  std::vector<std::string> docs(1);
  ln::read_documents(
      path, separator, [&](std::string_view piece) { docs.back() += piece; }, [&] { docs.emplace_back(); },
      nullptr, max_piece_bytes);
  docs.pop_back();
  return docs;
}

}  // namespace

TEST_CASE("corpus: glob patterns expand to their sorted matches; a pattern matching nothing names the key") {
  ln::test::TempDir dir;
  ln::test::write_file(dir / "g/b.txt", "b");
  ln::test::write_file(dir / "g/a.txt", "a");
  ln::test::write_file(dir / "g/c.md", "c");
  ln::test::write_file(dir / "g/sub/d.txt", "d");
  ln::test::write_file(dir / "g/sub/e.txt", "e");
  REQUIRE(::mkfifo((dir / "g/pipe.txt").c_str(), 0644) == 0);  // skipped by a pattern, as in a folder
  CHECK(ln::list_corpus_files({dir / "g/*.txt"}) ==
        std::vector<std::string>{dir / "g/a.txt", dir / "g/b.txt"});
  // A matched directory is walked like a named one.
  CHECK(ln::list_corpus_files({dir / "g/s?b", dir / "g/[c]*"}) ==
        std::vector<std::string>{dir / "g/sub/d.txt", dir / "g/sub/e.txt", dir / "g/c.md"});
  CHECK(ln::corpus_source_exists(dir / "g/*.md"));
  CHECK(!ln::corpus_source_exists(dir / "g/*.rst"));
  const std::string none = error_of([&] { ln::list_corpus_files({dir / "g/*.rst"}, "--data"); });
  CHECK(ln::test::contains(none, "--data"));
  CHECK(ln::test::contains(none, "matches no file"));
  // Errors name the key the sources came from, never a key that does not exist.
  const std::string missing = error_of([&] { ln::list_corpus_files({dir / "nope.txt"}, "--data"); });
  CHECK(ln::test::contains(missing, "--data"));
  CHECK(!ln::test::contains(missing, "data.corpus"));
  CHECK(ln::test::contains(error_of([&] { ln::list_corpus_files({dir / "nope.txt"}); }), "data.train"));
}

TEST_CASE("corpus: binary files are skipped with one warning line naming them, once") {
  ln::test::TempDir dir;
  ln::test::write_file(dir / "c/a.txt", "text\n");
  ln::test::write_file(dir / "c/blob.bin", std::string("PK\x03\x04\0\0 zip", 10));
  std::string controls;  // no NUL, but mostly control bytes: an object file, say
  for (int i = 0; i < 300; ++i) controls += char(1 + i % 8), controls += 'x';
  ln::test::write_file(dir / "c/controls.dat", controls);
  // Text in another encoding is not binary: reading it is an error with the byte offset.
  ln::test::write_file(dir / "latin1/l.txt", "caf\xe9 cr\xe8me\n");
  ln::test::write_file(dir / "c/tabs.txt", "a\tb\r\n\x1b[1mbold\x1b[0m\f\n");
  std::string noise;  // random bytes without a NUL
  std::mt19937 rng(3);
  while (noise.size() < 3000) {
    if (const char c = char(rng() % 256)) noise += c;
  }
  ln::test::write_file(dir / "c/noise.dat", noise);
  // A multi-byte character cut by the end of the 8 KiB read does not count.
  std::string long_text(8191, 'x');
  long_text += "\xc3\xa9 end\n";
  ln::test::write_file(dir / "long/l.txt", long_text);
  CHECK(!ln::looks_binary(dir / "long/l.txt"));
  CHECK(ln::looks_binary(dir / "c/noise.dat"));
  CHECK(ln::looks_binary(dir / "c/blob.bin"));
  CHECK(ln::looks_binary(dir / "c/controls.dat"));
  CHECK(!ln::looks_binary(dir / "latin1/l.txt"));
  CHECK(!ln::looks_binary(dir / "c/a.txt"));
  CHECK(!ln::looks_binary(dir / "c/tabs.txt"));
  CHECK(ln::list_corpus_files({dir / "latin1"}) == std::vector<std::string>{dir / "latin1/l.txt"});

  std::vector<std::string> files;
  const std::string warning = stderr_of(dir / "err.txt", [&] { files = ln::list_corpus_files({dir / "c"}); });
  CHECK(files == std::vector<std::string>{dir / "c/a.txt", dir / "c/tabs.txt"});
  CHECK(ln::test::count(warning, "\n") == 1);
  CHECK(ln::test::contains(warning, "warning: data.train: skipping 3 binary files"));
  CHECK(ln::test::contains(warning, dir / "c/blob.bin"));
  CHECK(ln::test::contains(warning, dir / "c/controls.dat"));
  CHECK(ln::test::contains(warning, dir / "c/noise.dat"));
  // Listing again (training lists its corpus more than once) does not repeat the warning.
  CHECK(stderr_of(dir / "err2.txt", [&] { ln::list_corpus_files({dir / "c"}); }).empty());
  // Only binary files: an error, not an empty corpus.
  ln::test::write_file(dir / "bin/x.bin", std::string("\0\1\2", 3));
  std::string only;
  stderr_of(dir / "err3.txt", [&] { only = error_of([&] { ln::list_corpus_files({dir / "bin"}); }); });
  CHECK(ln::test::contains(only, "only binary files"));
}

TEST_CASE("corpus: a .jsonl file's documents are the \"text\" fields of its lines") {
  ln::test::TempDir dir;
  const std::string path =
      dir.write("d.jsonl",
                "{\"id\": 1, \"text\": \"first line\\nsecond\\tline\\n\"}\n"
                "\n"
                "{\"text\": \"caf\\u00e9 \\ud83d\\ude00 \\\"quoted\\\"\", \"meta\": {\"x\": [1, 2]}}\n"
                "{\"text\": \"   \"}\n"
                "{\"text\": \"\"}\n"
                "{\"text\": \"last, no newline at the end of the file\"}");
  const std::vector<std::string> expected = {"first line\nsecond\tline\n",
                                             "caf\xc3\xa9 \xf0\x9f\x98\x80 \"quoted\"",
                                             "last, no newline at the end of the file"};
  // Lines are documents whatever data.document_separator says; whitespace-only texts drop.
  CHECK(documents_of(path, ln::DocumentSeparator::file) == expected);
  CHECK(documents_of(path, ln::DocumentSeparator::blank_line) == expected);
  // Long texts are handed out in pieces and still join up exactly.
  std::string big, want;  // the JSON-escaped text and the text itself
  for (int i = 0; i < 3000; ++i) {
    const std::string word = "word" + std::to_string(i);
    big += word;
    want += word;
    big += i % 50 == 49 ? "\\n" : " ";
    want += i % 50 == 49 ? '\n' : ' ';
  }
  std::string big_line = "{\"text\": \"";
  big_line += big;
  big_line += "\"}\n{\"text\": \"b\"}\n";
  const std::string big_path = dir.write("big.jsonl", big_line);
  CHECK(documents_of(big_path, ln::DocumentSeparator::file, 64) == std::vector<std::string>{want, "b"});

  // A line that is not an object with a string "text" names the file and the line.
  const std::string bad = dir.write("bad.jsonl", "{\"text\": \"ok\"}\n{\"body\": \"no text key\"}\n");
  const std::string e1 = error_of([&] { documents_of(bad, ln::DocumentSeparator::file); });
  CHECK(ln::test::contains(e1, "bad.jsonl line 2"));
  CHECK(ln::test::contains(e1, "\"text\""));
  const std::string broken = dir.write("broken.jsonl", "{\"text\": \"ok\"}\n\n[1, 2]\n");
  CHECK(ln::test::contains(error_of([&] { documents_of(broken, ln::DocumentSeparator::file); }),
                           "broken.jsonl line 3"));
  const std::string cut = dir.write("cut.jsonl", "{\"text\": \"unterminated}\n");
  CHECK(ln::test::contains(error_of([&] { documents_of(cut, ln::DocumentSeparator::file); }),
                           "cut.jsonl line 1"));
}
