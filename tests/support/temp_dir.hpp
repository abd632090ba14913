#pragma once
// Test scaffolding for files: a fresh temporary directory per test (removed at scope exit),
// whole-file read/write, and deterministic generated text and corpora.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace ln::test {

inline void write_file(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

// The whole file; fails the test case when it cannot be opened.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot open ", path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("longnet-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string operator/(const std::string& name) const { return file(name); }
  // Writes `name` (parent folders created) and returns its path.
  std::string write(const std::string& name, const std::string& bytes) const {
    write_file(file(name), bytes);
    return file(name);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Deterministic English-like text with a few non-ASCII words, `lines` lines long.
inline std::string generated_text(int lines, uint64_t seed = 1) {
  static const char* words[] = {"the",  "of",       "and",    "to",     "in",         "a",      "is",
                                "that", "for",      "it",     "as",     "was",        "with",   "be",
                                "by",   "on",       "not",    "he",     "this",       "are",    "or",
                                "his",  "from",     "at",     "which",  "but",        "have",   "an",
                                "they", "congress", "nation", "people", "government", "states", "year",
                                "café", "naïve",    "Größe",  "déjà",   "vu",         "über",   "señor"};
  constexpr int kWords = sizeof(words) / sizeof(words[0]);
  std::string text;
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (int l = 0; l < lines; ++l) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const int n = 5 + int((x >> 33) % 12);
    for (int w = 0; w < n; ++w) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      if (w) text += ' ';
      text += words[(x >> 33) % kWords];
    }
    text += ".\n";
  }
  return text;
}

// A small corpus folder: `files` files `dir`/<stem>0.txt, <stem>1.txt, ... of generated_text
// with `lines` lines each, seeded first_seed, first_seed + 1, ...
inline void write_corpus(const std::string& dir, const std::string& stem, int files, int lines,
                         uint64_t first_seed) {
  for (int f = 0; f < files; ++f) {
    write_file(dir + "/" + stem + std::to_string(f) + ".txt",
               generated_text(lines, first_seed + uint64_t(f)));
  }
}

}  // namespace ln::test
