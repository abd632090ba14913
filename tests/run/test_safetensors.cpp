#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "run/safetensors.hpp"
#include "support/same_bytes.hpp"
#include "support/temp_dir.hpp"
#include "support/text_checks.hpp"

using namespace ln;
using test::contains;
using test::error_of;
using test::TempDir;

namespace {

Tensor filled(const Shape& shape, Precision dtype, float start) {
  Tensor t = Tensor::empty(shape, Precision::fp32);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = start + 0.25f * static_cast<float>(i) - 3.0f;
  return t.to(dtype);
}

std::string u64_le(uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
  return out;
}

// A safetensors file from a header text and data bytes, padded as the format asks.
std::string file_bytes(std::string header, const std::string& data) {
  header.append((8 - header.size() % 8) % 8, ' ');
  return u64_le(header.size()) + header + data;
}

std::string f32_bytes(std::initializer_list<float> values) {
  std::string out;
  for (float v : values) out.append(reinterpret_cast<const char*>(&v), 4);
  return out;
}

}  // namespace

TEST_CASE("safetensors round trip: f32, bf16, 0-d, empty tensors and metadata") {
  TempDir dir;
  NamedTensors tensors = {
      {"layers.0.attn.q_proj.weight", filled({3, 5}, Precision::fp32, 1)},
      {"tok_embeddings.weight", filled({7, 2}, Precision::bf16, 2)},
      {"scalar", Tensor::scalar(-1.5f)},
      {"empty", Tensor::zeros({0, 4})},
      {"empty_bf16", Tensor::zeros({2, 0, 3}, Precision::bf16)},
      {"last", filled({1}, Precision::bf16, 9)},
  };
  std::map<std::string, std::string> metadata = {{"format", "pt"},
                                                 {"note", "quote \" backslash \\ newline \n ünï"}};
  std::string path = dir / "m.safetensors";
  save_safetensors(path, tensors, metadata);

  SafetensorsFile file = load_safetensors(path);
  CHECK(file.path == path);
  REQUIRE(file.names.size() == tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    CHECK(file.names[i] == tensors[i].first);
    CHECK_MESSAGE(ln::test::same_bytes(file.tensors[i], tensors[i].second), tensors[i].first);
  }
  CHECK(file.metadata == metadata);
  CHECK(file.at("scalar").shape().empty());
  CHECK(file.at("scalar").item() == -1.5f);
  CHECK(file.at("empty_bf16").dtype() == Precision::bf16);
  CHECK(file.contains("last"));
  CHECK(!file.contains("missing"));
  CHECK(contains(error_of([&] { file.at("missing"); }), path + " has no tensor 'missing'"));

  // Layout: 8-byte length, header padded to a multiple of 8, data exactly after it.
  std::string bytes = test::read_file(path);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  CHECK(n % 8 == 0);
  uint64_t data_bytes = 0;
  for (const auto& [name, t] : tensors) data_bytes += t.bytes();
  CHECK(bytes.size() == 8 + n + data_bytes);
  CHECK(bytes[8] == '{');
  // Nothing at all is also a valid file.
  save_safetensors(dir / "none.safetensors", {});
  CHECK(load_safetensors(dir / "none.safetensors").names.empty());
  CHECK(test::read_file(dir / "none.safetensors") == u64_le(8) + "{}      ");
}

TEST_CASE("safetensors writer produces exactly the bytes of the format") {
  TempDir dir;
  Tensor x = Tensor::from({1.0f, -2.0f}, {2});
  Tensor h = Tensor::from({1.0f}, {1}).to(Precision::bf16);
  save_safetensors(dir / "t.safetensors", {{"x", x}, {"h", h}}, {{"a", "b"}});
  // Header: 134 bytes of JSON + 2 spaces = 136 = 0x88; data: 1.0f, -2.0f, bf16 1.0.
  std::string expected = std::string("\x88\0\0\0\0\0\0\0", 8) +
                         "{\"__metadata__\":{\"a\":\"b\"},"
                         "\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                         "\"h\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[8,10]}}  " +
                         std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0\x80\x3f", 10);
  CHECK(test::read_file(dir / "t.safetensors") == expected);
}

TEST_CASE("safetensors reader accepts files laid out by other writers") {
  TempDir dir;
  // Header order differs from data order (PyTorch's writer sorts), extra JSON whitespace,
  // a metadata block last, and unicode escapes in a name.
  std::string header =
      "{ \"b\" : {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 12]},\n"
      "  \"a\\u00e9\": {\"dtype\": \"F32\", \"shape\": [2, 1], \"data_offsets\": [0, 8]},"
      "  \"__metadata__\": {\"format\": \"pt\"} }";
  test::write_file(dir / "o.safetensors", file_bytes(header, f32_bytes({1, 2, 3})));
  SafetensorsFile file = load_safetensors(dir / "o.safetensors");
  CHECK(file.names == std::vector<std::string>{"b", "a\xc3\xa9"});
  CHECK(file.at("b").item() == 3.0f);
  CHECK(file.at("a\xc3\xa9").to_vector() == std::vector<float>{1, 2});
  CHECK(file.at("a\xc3\xa9").shape() == Shape{2, 1});
  CHECK(file.metadata.at("format") == "pt");
}

TEST_CASE("safetensors reader refuses damaged files with the path and the reason") {
  TempDir dir;
  std::string path = dir / "bad.safetensors";
  auto refuse = [&](const std::string& bytes) {
    test::write_file(path, bytes);
    std::string message = error_of([&] { load_safetensors(path); });
    CHECK_MESSAGE(contains(message, path), message);
    return message;
  };
  const std::string one = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
  const std::string good = file_bytes(one, f32_bytes({1, 2}));
  test::write_file(path, good);
  CHECK(load_safetensors(path).at("x").to_vector() == std::vector<float>{1, 2});

  CHECK(contains(error_of([&] { load_safetensors(dir / "nope"); }), "no such file"));
  CHECK(contains(refuse(""), "too short for the 8-byte header length"));
  CHECK(contains(refuse("\x10\0\0"), "too short"));
  CHECK(contains(refuse(u64_le(1000) + "{}"), "header length 1000 runs past the end of the file"));
  CHECK(contains(refuse(u64_le(~uint64_t{0}) + "{}"), "runs past the end of the file"));
  // Truncated: the last tensor's bytes are cut.
  CHECK(contains(refuse(good.substr(0, good.size() - 3)), "run past the end of the data (5 bytes)"));
  CHECK(contains(refuse(good + "xyz"), "3 bytes after the last tensor belong to no tensor"));
  CHECK(contains(refuse(file_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                   "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                                   f32_bytes({1, 2}))),
                 "tensor 'b' bytes [4, 8) overlap tensor 'a' bytes [0, 8)"));
  CHECK(contains(refuse(file_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                                   f32_bytes({1, 2}))),
                 "data bytes [0, 4) belong to no tensor"));
  CHECK(contains(refuse(file_bytes("{\"x\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}}",
                                   f32_bytes({1, 2}))),
                 "tensor 'x': dtype 'F16' is not supported"));
  CHECK(contains(refuse(file_bytes("{\"x\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                                   f32_bytes({1, 2}))),
                 "dtype 'Q4' is unknown"));
  CHECK(contains(refuse(file_bytes("{\"x\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                                   f32_bytes({1, 2}))),
                 "shape (2,) of BF16 needs 4 bytes but data_offsets [0, 8] hold 8"));
  CHECK(contains(refuse(file_bytes("{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}",
                                   f32_bytes({1, 2}))),
                 "shape entries must be non-negative integers, got -2"));
  CHECK(contains(refuse(file_bytes("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}",
                                   f32_bytes({1, 2}))),
                 "end before they begin"));
  CHECK(contains(refuse(file_bytes("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0.0,8]}}",
                                   f32_bytes({1, 2}))),
                 "data_offsets must be non-negative integers"));
  CHECK(contains(refuse(file_bytes("{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
                                   "\"data_offsets\":[0,8]}}",
                                   f32_bytes({1, 2}))),
                 "shape is too large"));
  CHECK(contains(refuse(file_bytes("{\"x\":{\"dtype\":\"F32\",\"shape\":[2]}}", f32_bytes({1, 2}))),
                 "needs dtype, shape and data_offsets"));
  CHECK(contains(refuse(file_bytes("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"y\":1}}",
                                   f32_bytes({1, 2}))),
                 "unknown field 'y'"));
  CHECK(contains(refuse(file_bytes(one.substr(0, 30), f32_bytes({1, 2}))), "not valid JSON"));
  CHECK(contains(refuse(file_bytes("[1, 2]", "")), "does not start with '{'"));
  CHECK(contains(refuse(file_bytes("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                                   "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                                   f32_bytes({1, 2}))),
                 "duplicate key \"x\""));
  CHECK(contains(refuse(file_bytes("{\"__metadata__\":{\"k\":1}}", "")),
                 "__metadata__ value 'k' must be a string"));
}

TEST_CASE("safetensors writer refuses what it cannot represent") {
  TempDir dir;
  std::string path = dir / "w.safetensors";
  CHECK(contains(error_of([&] {
                   save_safetensors(path, {{"a", Tensor::scalar(1)}, {"a", Tensor::scalar(2)}});
                 }),
                 "tensor 'a' appears twice"));
  CHECK(contains(error_of([&] { save_safetensors(path, {{"a", Tensor()}}); }), "tensor 'a' is undefined"));
  CHECK(contains(error_of([&] {
                   save_safetensors(path, {{"__metadata__", Tensor::scalar(1)}});
                 }),
                 "reserved"));
  CHECK(
      contains(error_of([&] { save_safetensors(dir / "no/such/dir/x.safetensors", {}); }), "cannot create"));
}
