#pragma once
// SHA-256 (FIPS 180-4): one-shot over a buffer, streamed over a file, or incremental; the
// hashing itself is Nettle's (nettle-dev, <nettle/sha2.h>). Used to fingerprint tokenizer
// models, corpus files and checkpoint files; the hex digest (64 lowercase characters) is what
// headers and manifests record.
#include <nettle/sha2.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ln {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Finishes the hash; the object must not be updated afterwards.
  std::array<uint8_t, 32> digest();
  std::string hex_digest();

 private:
  sha256_ctx ctx_;
  bool finished_ = false;
};

std::string sha256_hex(std::string_view data);
// Streams the file in fixed-size blocks (never loads it whole); ln::Error naming the path
// when it cannot be opened or read.
std::string sha256_file(const std::string& path);

}  // namespace ln
