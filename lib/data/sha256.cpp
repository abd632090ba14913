#include "data/sha256.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/error.hpp"

namespace ln {

Sha256::Sha256() { sha256_init(&ctx_); }

void Sha256::update(const void* data, size_t size) {
  LN_CHECK(!finished_, "[sha256] update after digest; create a new Sha256");
  sha256_update(&ctx_, size, static_cast<const uint8_t*>(data));
}

std::array<uint8_t, 32> Sha256::digest() {
  LN_CHECK(!finished_, "[sha256] digest called twice; create a new Sha256");
  finished_ = true;
  std::array<uint8_t, 32> out;
  sha256_digest(&ctx_, SHA256_DIGEST_SIZE, out.data());
  return out;
}

std::string Sha256::hex_digest() {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (uint8_t byte : digest()) {
    out.push_back(hex[byte >> 4]);
    out.push_back(hex[byte & 15]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 hash;
  hash.update(data);
  return hash.hex_digest();
}

std::string sha256_file(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  LN_CHECK(file, "[sha256] cannot open ", path, ": ", std::strerror(errno));
  Sha256 hash;
  std::vector<char> block(1 << 20);
  size_t got;
  while ((got = std::fread(block.data(), 1, block.size(), file)) > 0) hash.update(block.data(), got);
  const bool failed = std::ferror(file);
  const int saved_errno = errno;
  std::fclose(file);
  LN_CHECK(!failed, "[sha256] error reading ", path, ": ", std::strerror(saved_errno));
  return hash.hex_digest();
}

}  // namespace ln
