#pragma once
// Tensor: a shape and a shared, contiguous, row-major, 64-byte aligned buffer.
//
// There are no strided views: every op that changes layout (transpose, slice) copies,
// which keeps every kernel a "pointer + sizes" kernel. `reshape` shares the buffer.
// Copies of a Tensor share storage (like a shared_ptr); `clone()` makes a deep copy.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "core/bf16.hpp"
#include "core/precision.hpp"

namespace ln {

using Shape = std::vector<int64_t>;

std::string shape_str(const Shape& shape);  // "(2, 3, 4)"
int64_t shape_numel(const Shape& shape);

// Raw aligned buffer. Alignment is 64 bytes so AVX-512 loads of row starts are aligned
// whenever the row length is a multiple of 16 floats.
class Storage {
 public:
  explicit Storage(size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

class Tensor {
 public:
  Tensor() = default;

  static Tensor empty(const Shape& shape, Precision dtype = Precision::fp32);
  static Tensor zeros(const Shape& shape, Precision dtype = Precision::fp32);
  static Tensor full(const Shape& shape, float value);
  static Tensor from(const std::vector<float>& values, const Shape& shape);
  static Tensor scalar(float value) { return full({}, value); }

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  // Size of dimension i; negative i counts from the end (dim(-1) is the last).
  int64_t dim(int i) const;
  int64_t numel() const { return numel_; }
  Precision dtype() const { return dtype_; }
  size_t bytes() const { return static_cast<size_t>(numel_) * precision_bytes(dtype_); }

  // Typed access; throws if the dtype does not match.
  float* data();
  const float* data() const;
  bf16* data_bf16();
  const bf16* data_bf16() const;
  void* raw() const { return storage_ ? storage_->data() : nullptr; }

  float item() const;  // the single value of a 1-element f32 tensor
  float& at(int64_t flat_index) { return data()[flat_index]; }
  float at(int64_t flat_index) const { return data()[flat_index]; }
  std::vector<float> to_vector() const;

  // Same buffer, new shape (numel must match). One dimension may be -1 (inferred).
  Tensor reshape(const Shape& shape) const;
  Tensor clone() const;
  Tensor to(Precision dtype) const;  // converting copy (or this tensor if already that dtype)
  void fill(float value);
  void zero();
  // this += other (same shape, f32).
  void add_(const Tensor& other);

  bool same_storage(const Tensor& other) const { return storage_ == other.storage_; }
  // How many Tensors share this buffer (for tests that check saved activations are freed).
  long storage_refs() const { return storage_.use_count(); }

 private:
  std::shared_ptr<Storage> storage_;
  Shape shape_;
  int64_t numel_ = 0;
  Precision dtype_ = Precision::fp32;
};

}  // namespace ln
