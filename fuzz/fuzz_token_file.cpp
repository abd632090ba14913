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
#include "fuzz_util.hpp"

namespace {

// A mirror of the preamble and checksum of lib/data/token_file.cpp (format version 1). If they
// change there, this harness only stops reaching past the header check: update it with them.
struct Preamble {
  char magic[8];
  uint32_t version;
  uint32_t endian_mark;
  uint64_t token_count;
  uint64_t tokens_offset;
  uint64_t index_offset;
  uint64_t index_bytes;
  uint64_t file_bytes;
  uint64_t tokens_checksum;
  uint64_t index_checksum;
  uint32_t vocab_size;
  uint32_t reserved;
  char tokenizer_sha256[64];
  uint64_t preamble_checksum;
};
constexpr uint64_t kSeed = 0x9E3779B97F4A7C15ull;
uint64_t mix(uint64_t h, uint64_t word) {
  h = (h ^ word) * 0xFF51AFD7ED558CCDull;
  return (h << 29) | (h >> 35);
}
uint64_t checksum_bytes(const void* data, size_t size) {
  uint64_t h = mix(kSeed, size);
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) h = mix(h, p[i]);
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ln::fuzz::MemFile file("fuzz.tokens");
  if (size < 8) return 0;
  uint32_t count = 0, vocab = 0;
  std::memcpy(&count, data, 4);
  std::memcpy(&vocab, data + 4, 4);
  const uint8_t* body = data + 8;
  const size_t body_bytes = size - 8;
  const uint64_t tokens = std::min<uint64_t>(count, body_bytes / 4);

  std::string bytes(256, '\0');
  bytes.append(reinterpret_cast<const char*>(body), body_bytes);
  Preamble pre{};
  std::memcpy(pre.magic, "LNTOKENS", 8);
  pre.version = 1;
  pre.endian_mark = 0x01020304;
  pre.token_count = tokens;
  pre.tokens_offset = 256;
  pre.index_offset = 256 + 4 * tokens;
  pre.file_bytes = bytes.size();
  pre.index_bytes = bytes.size() - pre.index_offset;
  uint64_t h = kSeed;
  for (uint64_t i = 0; i < tokens; ++i) {
    uint32_t t;
    std::memcpy(&t, body + 4 * i, 4);
    h = mix(h, t);
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
