#include <doctest/doctest.h>

#include <string>

#include "core/error.hpp"
#include "data/sha256.hpp"
#include "support/temp_dir.hpp"

using ln::sha256_hex;

TEST_CASE("sha256: FIPS 180-2 test vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // 55/56/64-byte messages straddle the padding boundary.
  CHECK(sha256_hex(std::string(55, 'a')) ==
        "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  CHECK(sha256_hex(std::string(56, 'a')) ==
        "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  CHECK(sha256_hex(std::string(64, 'a')) ==
        "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST_CASE("sha256: incremental updates in awkward chunks equal one shot") {
  std::string data;
  for (int i = 0; i < 5000; ++i) data.push_back(char((i * 131 + 7) & 0xFF));
  const std::string expected = sha256_hex(data);
  for (size_t chunk : {1, 3, 63, 64, 65, 1000}) {
    ln::Sha256 hash;
    for (size_t at = 0; at < data.size(); at += chunk) hash.update(std::string_view(data).substr(at, chunk));
    CHECK(hash.hex_digest() == expected);
  }
}

TEST_CASE("sha256_file streams a file larger than its block and names a missing path") {
  ln::test::TempDir dir;
  std::string data(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = char((i * 2654435761u) >> 13);
  ln::test::write_file(dir / "big.bin", data);
  CHECK(ln::sha256_file(dir / "big.bin") == sha256_hex(data));
  ln::test::write_file(dir / "empty", "");
  CHECK(ln::sha256_file(dir / "empty") == sha256_hex(""));
  try {
    ln::sha256_file(dir / "missing");
    FAIL("expected an error");
  } catch (const ln::Error& e) {
    CHECK(std::string(e.message()).find("missing") != std::string::npos);
  }
}
