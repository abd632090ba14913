#include <doctest/doctest.h>

#include <algorithm>

#include "core/error.hpp"
#include "data/token_file.hpp"
#include "data/tokenizer.hpp"
#include "eval/eval_text.hpp"
#include "eval_fixture.hpp"
#include "support/text_checks.hpp"

using namespace ln;
using test::contains;
using test::error_of;

namespace {

const Tokenizer& tokenizer() {
  static Tokenizer t = Tokenizer::load(test::trained_run().run_dir + "/tokenizer.model");
  return t;
}
}  // namespace

TEST_CASE("eval text: the token stream is the training token cache's, after one EOS") {
  test::TempDir dir;
  // Two documents per file under blank_line, long lines, no final newline.
  const std::string text = test::generated_text(30, 5) + "\n\n" + test::generated_text(20, 6) + "last line";
  test::write_file(dir / "x.txt", text);
  for (DocumentSeparator sep : {DocumentSeparator::file, DocumentSeparator::blank_line}) {
    build_token_file({dir / "x.txt"}, tokenizer(), sep, dir / "x.tokens");
    TokenFile reference = TokenFile::open(dir / "x.tokens");
    const EvalText eval = read_eval_text(dir / "x.txt", tokenizer(), sep);
    REQUIRE(eval.tokens.size() == static_cast<size_t>(reference.size()) + 1);
    CHECK(eval.tokens[0] == tokenizer().eos_id());
    bool same = true;
    for (int64_t i = 0; i < reference.size(); ++i)
      same = same && eval.tokens[static_cast<size_t>(i + 1)] == static_cast<int32_t>(reference.tokens()[i]);
    CHECK(same);
    CHECK(eval.documents == reference.document_count());
    CHECK(eval.bytes == static_cast<int64_t>(text.size()));
    CHECK(eval.predictions() == reference.size());
  }
}

TEST_CASE("eval text: empty, blank and invalid UTF-8 files are one-line errors naming the file") {
  test::TempDir dir;
  test::write_file(dir / "empty.txt", "");
  test::write_file(dir / "blank.txt", " \n\n \t\n");
  test::write_file(dir / "latin1.txt", "caf\xe9 au lait\n");
  const std::string empty =
      error_of([&] { read_eval_text(dir / "empty.txt", tokenizer(), DocumentSeparator::file); });
  CHECK(contains(empty, "empty.txt is empty (0 bytes)"));
  const std::string blank =
      error_of([&] { read_eval_text(dir / "blank.txt", tokenizer(), DocumentSeparator::file); });
  CHECK(contains(blank, "blank.txt holds only whitespace"));
  const std::string latin =
      error_of([&] { read_eval_text(dir / "latin1.txt", tokenizer(), DocumentSeparator::file); });
  CHECK(contains(latin, "latin1.txt is not valid UTF-8 (byte offset 3)"));
  for (const auto& m : {empty, blank, latin}) CHECK(m.find('\n') == std::string::npos);
}

TEST_CASE("eval text: a 9 MB file with no newline is tokenized in pieces, reporting progress") {
  test::TempDir dir;
  std::string line;
  while (line.size() < (size_t(9) << 20)) line += test::generated_text(1, line.size()) + " ";
  line.erase(std::remove(line.begin(), line.end(), '\n'), line.end());  // one line, no final newline
  test::write_file(dir / "one_line.txt", line);
  std::vector<uint64_t> done;
  const EvalText eval = read_eval_text(dir / "one_line.txt", tokenizer(), DocumentSeparator::file,
                                       [&](uint64_t bytes, uint64_t total) {
                                         CHECK(total == line.size());
                                         done.push_back(bytes);
                                       });
  CHECK(done.size() >= 2);
  CHECK(std::is_sorted(done.begin(), done.end()));
  CHECK(done.back() <= line.size());
  // The same tokens as the training token cache (the reference reader of the corpus).
  build_token_file({dir / "one_line.txt"}, tokenizer(), DocumentSeparator::file, dir / "x.tokens");
  TokenFile reference = TokenFile::open(dir / "x.tokens");
  REQUIRE(eval.tokens.size() == static_cast<size_t>(reference.size()) + 1);
  CHECK(std::equal(eval.tokens.begin() + 1, eval.tokens.end(), reference.tokens(),
                   [](int32_t a, uint32_t b) { return a == static_cast<int32_t>(b); }));
}
