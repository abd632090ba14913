#pragma once
// The on-disk layout of a token cache file (format version 1): the fixed preamble and the
// checksums, shared by the reader/writer (token_file.cpp) and the fuzz harness that seals
// arbitrary bodies into valid-looking files (fuzz/fuzz_token_file.cpp).
#include <cstddef>
#include <cstdint>

namespace ln::token_file_format {

constexpr char kMagic[8] = {'L', 'N', 'T', 'O', 'K', 'E', 'N', 'S'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kEndianMark = 0x01020304;
constexpr size_t kPreambleBytes = 256;

// Fixed-size preamble at offset 0. Plain fields only, written and read with memcpy.
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
  uint64_t preamble_checksum;  // over all bytes before this field
};
static_assert(sizeof(Preamble) <= kPreambleBytes);

// A fast 64-bit checksum to catch damaged files (not an adversary): each step is a
// bijection of the state, so any single changed word changes the result.
constexpr uint64_t kChecksumSeed = 0x9E3779B97F4A7C15ull;
inline uint64_t mix_word(uint64_t h, uint64_t word) {
  h = (h ^ word) * 0xFF51AFD7ED558CCDull;
  return (h << 29) | (h >> 35);
}
inline uint64_t checksum_tokens(uint64_t h, const uint32_t* tokens, size_t count) {
  for (size_t i = 0; i < count; ++i) h = mix_word(h, tokens[i]);
  return h;
}
inline uint64_t checksum_bytes(const void* data, size_t size) {
  uint64_t h = mix_word(kChecksumSeed, size);
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) h = mix_word(h, p[i]);
  return h;
}

}  // namespace ln::token_file_format
