#include "run/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json.hpp"
#include "core/json_reader.hpp"

namespace ln {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; longnet writes host memory as is");

namespace {

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's limit

const char* safetensors_dtype(Precision dtype) { return dtype == Precision::fp32 ? "F32" : "BF16"; }

std::string u64_le(uint64_t value) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
  return out;
}

struct Entry {
  std::string name;
  Precision dtype;
  Shape shape;
  uint64_t begin, end;
};

}  // namespace

bool SafetensorsFile::contains(const std::string& name) const {
  return std::find(names.begin(), names.end(), name) != names.end();
}

const Tensor& SafetensorsFile::at(const std::string& name) const {
  auto it = std::find(names.begin(), names.end(), name);
  LN_CHECK(it != names.end(), "[safetensors] ", path, " has no tensor '", name, "' (it has ", names.size(),
           " tensors); was it written by a different model configuration?");
  return tensors[it - names.begin()];
}

NamedTensors SafetensorsFile::named() const {
  NamedTensors out;
  for (size_t i = 0; i < names.size(); ++i) out.emplace_back(names[i], tensors[i]);
  return out;
}

void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      if (!first) header += ',';
      header += json_escape(key);
      header += ':';
      header += json_escape(value);
      first = false;
    }
    header += "}";
  }
  std::set<std::string> seen;
  uint64_t offset = 0;
  std::vector<std::string_view> pieces{std::string_view()};  // [0] = length + header, filled below
  for (const auto& [name, tensor] : tensors) {
    LN_CHECK(!name.empty() && name != "__metadata__", "[safetensors] cannot write '", path,
             "': tensor name '", name, "' is reserved or empty");
    LN_CHECK(seen.insert(name).second, "[safetensors] cannot write '", path, "': tensor '", name,
             "' appears twice");
    LN_CHECK(tensor.defined(), "[safetensors] cannot write '", path, "': tensor '", name, "' is undefined");
    std::string shape;
    for (int64_t d : tensor.shape()) {
      if (!shape.empty()) shape += ',';
      shape += std::to_string(d);
    }
    uint64_t end = offset + tensor.bytes();
    if (header.size() > 1) header += ',';
    header += json_escape(name);
    header += ":{\"dtype\":\"";
    header += safetensors_dtype(tensor.dtype());
    header += "\",\"shape\":[" + shape + "],\"data_offsets\":[";
    header += std::to_string(offset) + "," + std::to_string(end) + "]}";
    offset = end;
    pieces.emplace_back(static_cast<const char*>(tensor.raw()), tensor.bytes());
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');  // so the data starts 8-byte aligned
  std::string prefix = u64_le(header.size()) + header;
  pieces[0] = prefix;
  write_file_synced(path, pieces);
}

SafetensorsFile load_safetensors(const std::string& path) {
  const std::string at = "[safetensors] " + path;
  std::error_code ec;
  LN_CHECK(std::filesystem::is_regular_file(path, ec), at, ": no such file");
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  LN_CHECK(!ec, at, ": cannot get the file size: ", ec.message());
  std::ifstream in(path, std::ios::binary);
  LN_CHECK(in, at, ": cannot open the file for reading");
  LN_CHECK(file_size >= 8, at, ": the file is ", file_size,
           " bytes, too short for the 8-byte header length; it is truncated or not a safetensors file");

  unsigned char length_bytes[8];
  in.read(reinterpret_cast<char*>(length_bytes), 8);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | length_bytes[i];
  LN_CHECK(header_len <= file_size - 8, at, ": the header length ", header_len,
           " runs past the end of the file (", file_size, " bytes); the file is truncated or corrupt");
  LN_CHECK(header_len <= kMaxHeaderBytes, at, ": the header length ", header_len,
           " is larger than 100 MB; the file is corrupt");
  LN_CHECK(header_len >= 2, at, ": the header is ", header_len, " bytes, too short to be a JSON object");
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  LN_CHECK(in, at, ": could not read the ", header_len, "-byte header");
  LN_CHECK(header[0] == '{', at, ": the header does not start with '{'; not a safetensors file");
  const uint64_t data_len = file_size - 8 - header_len;

  JsonValue root = parse_json(header, at + ": header");
  LN_CHECK(root.is_object(), at, ": the header must be a JSON object");

  SafetensorsFile file;
  file.path = path;
  std::vector<Entry> entries;
  for (const auto& [name, value] : root.members) {
    if (name == "__metadata__") {
      LN_CHECK(value.is_object(), at, ": __metadata__ must be an object of strings, got ",
               json_kind_name(value.kind));
      for (const auto& [key, text] : value.members) {
        LN_CHECK(text.is_string(), at, ": __metadata__ value '", key, "' must be a string, got ",
                 json_kind_name(text.kind));
        file.metadata[key] = text.text;
      }
      continue;
    }
    const std::string tensor_at = at + ": tensor '" + name + "'";
    LN_CHECK(value.is_object(), tensor_at, " must be an object, got ", json_kind_name(value.kind));
    for (const auto& [field, ignored] : value.members) {
      LN_CHECK(field == "dtype" || field == "shape" || field == "data_offsets", tensor_at,
               " has an unknown field '", field, "'");
    }
    const JsonValue* dtype = value.find("dtype");
    const JsonValue* shape = value.find("shape");
    const JsonValue* offsets = value.find("data_offsets");
    LN_CHECK(dtype && shape && offsets, tensor_at, " needs dtype, shape and data_offsets");
    LN_CHECK(dtype->is_string(), tensor_at, ": dtype must be a string");
    Entry entry{name, Precision::fp32, {}, 0, 0};
    if (dtype->text == "F32") {
      entry.dtype = Precision::fp32;
    } else if (dtype->text == "BF16") {
      entry.dtype = Precision::bf16;
    } else {
      static const std::set<std::string> known = {"BOOL", "U8",  "I8",  "I16", "U16",     "F16",    "I32",
                                                  "U32",  "I64", "U64", "F64", "F8_E4M3", "F8_E5M2"};
      LN_FAIL(tensor_at, ": dtype '", dtype->text, "' is ",
              known.count(dtype->text) ? "not supported" : "unknown",
              "; longnet reads F32 and BF16 (convert the file, e.g. with PyTorch, to float32)");
    }
    LN_CHECK(shape->is_array(), tensor_at, ": shape must be an array of integers");
    uint64_t numel = 1;
    for (const auto& d : shape->items) {
      auto dim = d.as_uint();
      LN_CHECK(dim && *dim < (uint64_t{1} << 48), tensor_at,
               ": shape entries must be non-negative integers, got ",
               d.kind == JsonValue::Kind::number ? d.text : json_kind_name(d.kind));
      // Overflow-safe: numel stays below 2^62 or the shape is refused.
      LN_CHECK(*dim == 0 || numel <= (uint64_t{1} << 62) / *dim, tensor_at, ": shape is too large");
      numel *= *dim;
      entry.shape.push_back(static_cast<int64_t>(*dim));
    }
    LN_CHECK(offsets->is_array() && offsets->items.size() == 2, tensor_at,
             ": data_offsets must be an array [begin, end]");
    auto begin = offsets->items[0].as_uint(), end = offsets->items[1].as_uint();
    LN_CHECK(begin && end, tensor_at, ": data_offsets must be non-negative integers");
    LN_CHECK(*begin <= *end, tensor_at, ": data_offsets [", *begin, ", ", *end, "] end before they begin");
    LN_CHECK(*end <= data_len, tensor_at, ": data_offsets [", *begin, ", ", *end,
             "] run past the end of the data (", data_len, " bytes); the file is truncated or corrupt");
    uint64_t want = numel * precision_bytes(entry.dtype);
    LN_CHECK(*end - *begin == want, tensor_at, ": shape ", shape_str(entry.shape), " of ", dtype->text,
             " needs ", want, " bytes but data_offsets [", *begin, ", ", *end, "] hold ", *end - *begin);
    entry.begin = *begin;
    entry.end = *end;
    entries.push_back(std::move(entry));
  }

  // The tensors must tile the data exactly: no overlaps, no gaps, nothing after the last.
  std::vector<const Entry*> by_offset;
  for (const auto& e : entries) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return std::tie(a->begin, a->end) < std::tie(b->begin, b->end);
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry* e : by_offset) {
    LN_CHECK(e->begin >= covered, at, ": tensor '", e->name, "' bytes [", e->begin, ", ", e->end,
             ") overlap tensor '", previous ? previous->name : "", "' bytes [",
             previous ? previous->begin : 0, ", ", covered, ")");
    LN_CHECK(e->begin == covered, at, ": data bytes [", covered, ", ", e->begin,
             ") belong to no tensor; the header is corrupt");
    covered = e->end;
    previous = e;
  }
  LN_CHECK(covered == data_len, at, ": ", data_len - covered,
           " bytes after the last tensor belong to no tensor", "; the header is corrupt");

  const uint64_t data_start = 8 + header_len;
  for (const Entry& e : entries) {
    Tensor tensor = Tensor::empty(e.shape, e.dtype);
    if (tensor.bytes() > 0) {
      in.seekg(static_cast<std::streamoff>(data_start + e.begin));
      in.read(static_cast<char*>(tensor.raw()), static_cast<std::streamsize>(tensor.bytes()));
      LN_CHECK(in, at, ": could not read tensor '", e.name, "' (the file changed while reading?)");
    }
    file.names.push_back(e.name);
    file.tensors.push_back(std::move(tensor));
  }
  return file;
}

}  // namespace ln
