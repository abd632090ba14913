#include "core/tensor_pool.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <map>
#include <mutex>
#include <vector>

namespace ln {

namespace {

void* heap_block(size_t bytes) {
  // aligned_alloc wants a multiple of the alignment; never ask for 0 bytes.
  return std::aligned_alloc(64, std::max<size_t>(64, (bytes + 63) / 64 * 64));
}

class Pool {
 public:
  void* acquire(size_t bytes) {
    const size_t size = tensor_pool_class_bytes(bytes);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = idle_.find(size);
      if (it != idle_.end()) {
        void* block = it->second.back();
        it->second.pop_back();
        if (it->second.empty()) idle_.erase(it);  // idle_ holds only classes with blocks
        stats_.idle_bytes -= size;
        peak_in_use_ = std::max(peak_in_use_, stats_.mapped_bytes - stats_.idle_bytes);
        ++stats_.reuses;
        return block;
      }
    }
    make_room(size);
    void* block = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) {
      // Idle blocks of other classes may be what stands in the way: give them back and retry.
      release_idle();
      block = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (block == MAP_FAILED) return nullptr;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.mapped_bytes += size;
    stats_.peak_mapped_bytes = std::max(stats_.peak_mapped_bytes, stats_.mapped_bytes);
    peak_in_use_ = std::max(peak_in_use_, stats_.mapped_bytes - stats_.idle_bytes);
    ++stats_.maps;
    return block;
  }

  void release(void* block, size_t bytes) {
    const size_t size = tensor_pool_class_bytes(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    idle_[size].push_back(block);
    stats_.idle_bytes += size;
  }

  void release_idle() {
    std::map<size_t, std::vector<void*>> idle;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      idle.swap(idle_);
      stats_.mapped_bytes -= stats_.idle_bytes;
      stats_.idle_bytes = 0;
    }
    for (auto& [size, blocks] : idle)
      for (void* block : blocks) munmap(block, size);
  }

  // Before mapping `size` more: idle blocks are kept only while everything mapped stays within
  // 9/8 of the most ever in use plus kSlackBytes, so the pool never holds much more than the
  // live tensors' peak, whatever sequence of sizes the program asks for. Blocks of the largest
  // idle classes go first.
  void make_room(size_t size) {
    std::vector<std::pair<void*, size_t>> unmap;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const uint64_t in_use = stats_.mapped_bytes - stats_.idle_bytes + size;
      const uint64_t limit = std::max(peak_in_use_, in_use) / 8 * 9 + kSlackBytes;
      while (stats_.mapped_bytes + size > limit && !idle_.empty()) {
        auto largest = std::prev(idle_.end());
        unmap.emplace_back(largest->second.back(), largest->first);
        largest->second.pop_back();
        stats_.idle_bytes -= largest->first;
        stats_.mapped_bytes -= largest->first;
        if (largest->second.empty()) idle_.erase(largest);
      }
    }
    for (auto [block, bytes] : unmap) munmap(block, bytes);
  }

  TensorPoolStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
  std::mutex mutex_;
  static constexpr uint64_t kSlackBytes = uint64_t{64} << 20;
  std::map<size_t, std::vector<void*>> idle_;  // size class -> blocks waiting for reuse
  TensorPoolStats stats_;
  uint64_t peak_in_use_ = 0;  // the most bytes of blocks ever handed out at once
};

// Never destroyed: tensors held by static objects may be freed after main returns.
Pool& pool() {
  static Pool* p = new Pool;
  return *p;
}

}  // namespace

size_t tensor_pool_class_bytes(size_t bytes) {
  if (bytes < kPoolMinBytes) return bytes;
  // 8 classes per power of two: [2^k, 2^(k+1)) in steps of 2^(k-3), at most 12.5% rounding.
  size_t octave = kPoolMinBytes;
  while (octave <= bytes / 2) octave *= 2;
  const size_t step = octave / 8;
  return (bytes + step - 1) / step * step;
}

void* tensor_storage_acquire(size_t bytes) {
  if (!kTensorPoolEnabled || bytes < kPoolMinBytes) return heap_block(bytes);
  return pool().acquire(bytes);
}

void tensor_storage_release(void* block, size_t bytes) {
  if (!block) return;
  if (!kTensorPoolEnabled || bytes < kPoolMinBytes) {
    std::free(block);
    return;
  }
  pool().release(block, bytes);
}

TensorPoolStats tensor_pool_stats() { return pool().stats(); }

void tensor_pool_release_idle() { pool().release_idle(); }

}  // namespace ln
