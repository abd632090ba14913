#include "core/tensor.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/error.hpp"
#include "core/memory_stats.hpp"
#include "core/step_profile.hpp"
#include "core/tensor_pool.hpp"

namespace ln {

namespace {
std::atomic<uint64_t> g_live_bytes{0};
std::atomic<uint64_t> g_peak_bytes{0};
}  // namespace

uint64_t tensor_bytes_live() { return g_live_bytes.load(); }
uint64_t tensor_bytes_peak() { return g_peak_bytes.load(); }
void reset_tensor_bytes_peak() { g_peak_bytes.store(g_live_bytes.load()); }

std::string shape_str(const Shape& shape) {
  std::string out = "(";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + (shape.size() == 1 ? ",)" : ")");
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    LN_CHECK(d >= 0, "[tensor] negative dimension in shape ", shape_str(shape));
    n *= d;
  }
  return n;
}

Storage::Storage(size_t bytes) : bytes_(bytes) {
  data_ = tensor_storage_acquire(bytes);  // core/tensor_pool.hpp: large blocks are reused across steps
  if (!data_) {
    LN_FAIL("[tensor] out of memory allocating ", bytes, " bytes (", bytes >> 20,
            " MiB); reduce the batch, sequence length or model size");
  }
  const uint64_t live = g_live_bytes.fetch_add(bytes_) + bytes_;
  uint64_t peak = g_peak_bytes.load();
  while (live > peak && !g_peak_bytes.compare_exchange_weak(peak, live)) {
  }
}

Storage::~Storage() {
  tensor_storage_release(data_, bytes_);
  g_live_bytes.fetch_sub(bytes_);
}

Tensor Tensor::empty(const Shape& shape, Precision dtype) {
  Tensor t;
  t.shape_ = shape;
  t.numel_ = shape_numel(shape);
  t.dtype_ = dtype;
  t.storage_ = std::make_shared<Storage>(static_cast<size_t>(t.numel_) * precision_bytes(dtype));
  return t;
}

// The step profile (core/step_profile.hpp) counts a tensor's data work (fills, copies, adds,
// conversions) as elementwise or conversion work, and its allocation as `other`: the scopes
// below open after empty().
Tensor Tensor::zeros(const Shape& shape, Precision dtype) {
  Tensor t = empty(shape, dtype);
  t.zero();
  return t;
}

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = empty(shape);
  t.fill(value);
  return t;
}

Tensor Tensor::from(const std::vector<float>& values, const Shape& shape) {
  Tensor t = empty(shape);
  LN_CHECK(static_cast<int64_t>(values.size()) == t.numel(), "[tensor] ", values.size(),
           " values do not fill shape ", shape_str(shape));
  std::copy(values.begin(), values.end(), t.data());
  return t;
}

int64_t Tensor::dim(int i) const {
  int n = ndim();
  int j = i < 0 ? i + n : i;
  LN_CHECK(j >= 0 && j < n, "[tensor] dimension ", i, " out of range for shape ", shape_str(shape_));
  return shape_[j];
}

float* Tensor::data() {
  LN_CHECK(dtype_ == Precision::fp32, "[tensor] asked for fp32 data of a ", precision_name(dtype_),
           " tensor");
  return static_cast<float*>(raw());
}
const float* Tensor::data() const { return const_cast<Tensor*>(this)->data(); }
bf16* Tensor::data_bf16() {
  LN_CHECK(dtype_ == Precision::bf16, "[tensor] asked for bf16 data of a ", precision_name(dtype_),
           " tensor");
  return static_cast<bf16*>(raw());
}
const bf16* Tensor::data_bf16() const { return const_cast<Tensor*>(this)->data_bf16(); }

float Tensor::item() const {
  LN_CHECK(numel_ == 1, "[tensor] item() needs one element, shape is ", shape_str(shape_));
  return data()[0];
}

std::vector<float> Tensor::to_vector() const {
  const float* p = data();
  return std::vector<float>(p, p + numel_);
}

Tensor Tensor::reshape(const Shape& shape) const {
  Shape resolved = shape;
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      LN_CHECK(infer < 0, "[reshape] more than one -1 in ", shape_str(shape));
      infer = static_cast<int>(i);
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    LN_CHECK(known > 0 && numel_ % known == 0, "[reshape] cannot reshape ", shape_str(shape_), " to ",
             shape_str(shape));
    resolved[infer] = numel_ / known;
  }
  LN_CHECK(shape_numel(resolved) == numel_, "[reshape] cannot reshape ", shape_str(shape_), " (", numel_,
           " elements) to ", shape_str(shape));
  Tensor t = *this;
  t.shape_ = resolved;
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = empty(shape_, dtype_);
  const ProfileScope profile(ProfileCategory::elementwise);
  if (numel_) std::memcpy(t.raw(), raw(), bytes());
  return t;
}

Tensor Tensor::to(Precision dtype) const {
  if (dtype == dtype_) return *this;
  Tensor t = empty(shape_, dtype);
  const ProfileScope profile(ProfileCategory::conversion);
  if (dtype == Precision::bf16) {
    const float* src = data();
    bf16* dst = t.data_bf16();
    for (int64_t i = 0; i < numel_; ++i) dst[i] = bf16(src[i]);
  } else {
    const bf16* src = data_bf16();
    float* dst = t.data();
    for (int64_t i = 0; i < numel_; ++i) dst[i] = static_cast<float>(src[i]);
  }
  return t;
}

void Tensor::fill(float value) {
  const ProfileScope profile(ProfileCategory::elementwise);
  float* p = data();
  std::fill(p, p + numel_, value);
}

void Tensor::zero() {
  const ProfileScope profile(ProfileCategory::elementwise);
  if (numel_) std::memset(raw(), 0, bytes());
}

void Tensor::add_(const Tensor& other) {
  const ProfileScope profile(ProfileCategory::elementwise);
  LN_CHECK(other.shape_ == shape_, "[tensor] add_ shape mismatch ", shape_str(shape_), " vs ",
           shape_str(other.shape_));
  float* a = data();
  const float* b = other.data();
  for (int64_t i = 0; i < numel_; ++i) a[i] += b[i];
}

}  // namespace ln
