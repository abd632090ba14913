#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/memory_stats.hpp"
#include "core/tensor.hpp"
#include "core/tensor_pool.hpp"

using namespace ln;

namespace {
constexpr bool kPooled = kTensorPoolEnabled;  // else every block comes from the heap
constexpr size_t MiB = size_t{1} << 20;
}  // namespace

TEST_CASE("size classes: 8 per power of two from 1 MiB, hand-computed") {
  CHECK(tensor_pool_class_bytes(100) == 100);  // below the pool: the heap, exact
  CHECK(tensor_pool_class_bytes(MiB - 1) == MiB - 1);
  CHECK(tensor_pool_class_bytes(MiB) == MiB);
  CHECK(tensor_pool_class_bytes(MiB + 1) == MiB + MiB / 8);  // steps of 128 KiB in [1, 2) MiB
  CHECK(tensor_pool_class_bytes(2 * MiB - 1) == 2 * MiB);
  CHECK(tensor_pool_class_bytes(2 * MiB) == 2 * MiB);
  CHECK(tensor_pool_class_bytes(2 * MiB + 1) == 2 * MiB + MiB / 4);  // steps of 256 KiB in [2, 4)
  CHECK(tensor_pool_class_bytes(64 * MiB) == 64 * MiB);              // T x C fp32 at T = 64K, C = 256
  CHECK(tensor_pool_class_bytes(100 * MiB) == 104 * MiB);            // steps of 8 MiB in [64, 128)
  const size_t big = (size_t{1} << 34) + 3;                          // 16 GiB and a bit
  CHECK(tensor_pool_class_bytes(big) == (size_t{1} << 34) + (size_t{1} << 31));
  // Never more than 12.5% above the request, always a page multiple above 1 MiB.
  for (size_t b = MiB; b < 300 * MiB; b = b * 9 / 7 + 4093) {
    CAPTURE(b);
    const size_t c = tensor_pool_class_bytes(b);
    CHECK(c >= b);
    CHECK(static_cast<double>(c) <= 1.125 * static_cast<double>(b));
    CHECK(c % 4096 == 0);
  }
}

TEST_CASE("a freed large block is reused by the next request of its class, not by another class") {
  if (!kPooled) return;  // sanitizer builds take every block from the heap
  tensor_pool_release_idle();
  const TensorPoolStats before = tensor_pool_stats();
  void* a = tensor_storage_acquire(3 * MiB + 5);
  REQUIRE(a != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(a) % 64 == 0);
  std::memset(a, 1, 3 * MiB + 5);
  tensor_storage_release(a, 3 * MiB + 5);
  CHECK(tensor_pool_stats().idle_bytes == before.idle_bytes + tensor_pool_class_bytes(3 * MiB + 5));

  void* b = tensor_storage_acquire(3 * MiB + 100);  // same class (3 MiB + 256 KiB)
  CHECK(b == a);
  void* c = tensor_storage_acquire(5 * MiB);  // another class: a new mapping
  CHECK(c != a);
  const TensorPoolStats during = tensor_pool_stats();
  CHECK(during.reuses == before.reuses + 1);
  CHECK(during.maps == before.maps + 2);
  CHECK(during.idle_bytes == before.idle_bytes);
  tensor_storage_release(b, 3 * MiB + 100);
  tensor_storage_release(c, 5 * MiB);

  tensor_pool_release_idle();
  const TensorPoolStats after = tensor_pool_stats();
  CHECK(after.idle_bytes == 0);
  CHECK(after.mapped_bytes ==
        during.mapped_bytes - tensor_pool_class_bytes(3 * MiB + 100) - tensor_pool_class_bytes(5 * MiB));
}

TEST_CASE("tensors above and below the pool threshold hold their values and count as live bytes") {
  for (int64_t n : {int64_t{7}, int64_t{300000}, int64_t{1} << 20}) {  // 28 B, 1.1 MiB, 4 MiB
    CAPTURE(n);
    const uint64_t live = tensor_bytes_live();
    {
      Tensor t = Tensor::zeros({n});
      CHECK(tensor_bytes_live() == live + static_cast<uint64_t>(n) * 4);
      CHECK(reinterpret_cast<uintptr_t>(t.data()) % 64 == 0);
      for (int64_t i = 0; i < n; ++i) t.data()[i] = static_cast<float>(i);
      CHECK(t.data()[n - 1] == static_cast<float>(n - 1));
    }
    CHECK(tensor_bytes_live() == live);
    // A reused block is not cleared, but zeros() is.
    Tensor z = Tensor::zeros({n});
    bool all_zero = true;
    for (int64_t i = 0; i < n; ++i) all_zero = all_zero && z.data()[i] == 0.0f;
    CHECK(all_zero);
  }
}

TEST_CASE("idle blocks never push the pool past 9/8 of its peak in use plus 64 MiB") {
  if (!kPooled) return;
  tensor_pool_release_idle();
  const uint64_t base = tensor_pool_stats().mapped_bytes;  // blocks other tests still hold
  // One block at a time, each of a new class: a pool that kept every idle block would map
  // 40 + 48 + ... + 112 MiB; untouched, they cost address space only.
  uint64_t largest = 0;
  for (size_t mib = 40; mib <= 112; mib += 8) {
    CAPTURE(mib);
    void* block = tensor_storage_acquire(mib * MiB);
    REQUIRE(block != nullptr);
    largest = std::max<uint64_t>(largest, tensor_pool_class_bytes(mib * MiB));
    const TensorPoolStats s = tensor_pool_stats();
    CHECK(s.mapped_bytes - base <= (base + largest) / 8 * 9 + 64 * MiB);
    tensor_storage_release(block, mib * MiB);
  }
  // The same sizes again: those still idle are reused, the rest mapped anew, within the bound.
  const TensorPoolStats before = tensor_pool_stats();
  for (size_t mib = 40; mib <= 112; mib += 8)
    tensor_storage_release(tensor_storage_acquire(mib * MiB), mib * MiB);
  const TensorPoolStats after = tensor_pool_stats();
  CHECK(after.reuses > before.reuses);
  CHECK(after.mapped_bytes - base <= (base + largest) / 8 * 9 + 64 * MiB);
  tensor_pool_release_idle();
}

TEST_CASE("a class emptied by reuse is not where room is made (it holds no block to unmap)") {
  if (!kPooled) return;
  tensor_pool_release_idle();
  const uint64_t base = tensor_pool_stats().mapped_bytes;
  // The largest class: mapped, idle, then taken again, so it has no idle block left.
  void* big = tensor_storage_acquire(200 * MiB);
  tensor_storage_release(big, 200 * MiB);
  void* again = tensor_storage_acquire(200 * MiB);
  CHECK(again == big);
  // New classes while it is in use: making room must unmap these idle ones, not the empty class.
  for (size_t mib = 100; mib <= 180; mib += 16)
    tensor_storage_release(tensor_storage_acquire(mib * MiB), mib * MiB);
  const TensorPoolStats s = tensor_pool_stats();
  // At most `again` and one new block were in use at once.
  const uint64_t peak_use = tensor_pool_class_bytes(200 * MiB) + tensor_pool_class_bytes(180 * MiB);
  CHECK(s.mapped_bytes - base <= (base + peak_use) / 8 * 9 + 64 * MiB);
  CHECK(s.mapped_bytes - s.idle_bytes - base == tensor_pool_class_bytes(200 * MiB));  // `again` only
  std::memset(again, 3, 200 * MiB);  // still mapped and writable
  tensor_storage_release(again, 200 * MiB);
  tensor_pool_release_idle();
}
