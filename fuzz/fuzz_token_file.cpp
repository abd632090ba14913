// Fuzz target: the token cache file (lib/data/token_file: preamble, tokens, index). A random
// preamble never passes its checksum, so the harness seals one around the input: the input's
// first 4 bytes give the token count, the next 4 the vocabulary size, and the rest is the
// tokens followed by the index, with sizes and both checksums made consistent, so the fuzzer
// reaches the index parser and the token checks. Property: refused only with ln::Error.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "data/token_file.hpp"
#include "data/token_file_format.hpp"
#include "fuzz_util.hpp"

using namespace ln::token_file_format;  // the layout the reader checks, shared with it

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ln::fuzz::MemFile file("fuzz.tokens");
  if (size < 8) return 0;
  uint32_t count = 0, vocab = 0;
  std::memcpy(&count, data, 4);
  std::memcpy(&vocab, data + 4, 4);
  const uint8_t* body = data + 8;
  const size_t body_bytes = size - 8;
  const uint64_t tokens = std::min<uint64_t>(count, body_bytes / 4);

  std::string bytes(kPreambleBytes, '\0');
  bytes.append(reinterpret_cast<const char*>(body), body_bytes);
  Preamble pre{};
  std::memcpy(pre.magic, kMagic, sizeof kMagic);
  pre.version = kVersion;
  pre.endian_mark = kEndianMark;
  pre.token_count = tokens;
  pre.tokens_offset = kPreambleBytes;
  pre.index_offset = kPreambleBytes + 4 * tokens;
  pre.file_bytes = bytes.size();
  pre.index_bytes = bytes.size() - pre.index_offset;
  uint64_t h = kChecksumSeed;
  for (uint64_t i = 0; i < tokens; ++i) {
    uint32_t t;
    std::memcpy(&t, body + 4 * i, 4);
    h = mix_word(h, t);
  }
  pre.tokens_checksum = h;
  pre.index_checksum = checksum_bytes(bytes.data() + pre.index_offset, pre.index_bytes);
  pre.vocab_size = vocab;
  std::memset(pre.tokenizer_sha256, 'a', 64);
  pre.preamble_checksum = checksum_bytes(&pre, offsetof(Preamble, preamble_checksum));
  std::memcpy(bytes.data(), &pre, sizeof pre);

  const std::string& path = file.write(bytes.data(), bytes.size());
  try {
    ln::TokenFile opened = ln::TokenFile::open(path, true);
    LN_FUZZ_ASSERT(opened.size() == static_cast<int64_t>(tokens));
    const auto& offsets = opened.document_offsets();
    LN_FUZZ_ASSERT(!offsets.empty() && offsets.back() == tokens);
  } catch (const ln::Error&) {
  }
  return 0;
}
