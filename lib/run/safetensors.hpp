#pragma once
// The safetensors format (https://github.com/huggingface/safetensors), written and read
// exactly, so PyTorch (`safetensors.torch.load_file`) reads longnet's weights and vice versa:
//
//   [8 bytes: N, little-endian u64][N bytes: JSON header, space-padded to a multiple of 8][data]
//   header: {"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [2, 3],
//            "data_offsets": [begin, end]}, ...}     offsets are relative to the data start
//
// Tensors are row-major and contiguous, laid out in the order given. longnet reads and writes
// F32 and BF16. The reader trusts nothing: header length vs file size, JSON syntax, dtype,
// shape x dtype vs byte count, offsets in range, non-overlapping and covering the data exactly;
// a bad file is refused with its path and the reason.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.hpp"

namespace ln {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

struct SafetensorsFile {
  std::string path;
  std::vector<std::string> names;  // header order
  std::vector<Tensor> tensors;     // same order as names
  std::map<std::string, std::string> metadata;

  bool contains(const std::string& name) const;
  // ln::Error naming the file and the tensor when absent.
  const Tensor& at(const std::string& name) const;
  NamedTensors named() const;
};

void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});
SafetensorsFile load_safetensors(const std::string& path);

}  // namespace ln
