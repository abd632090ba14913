#pragma once
// The one way longnet runs a loop on TBB's threads.
//
// Why a wrapper at all: Debian's libtbb is not built with ThreadSanitizer, and TBB hands a
// loop's chunks to its workers, and joins them, through atomics inside libtbb.so that TSan
// never sees. Without help TSan sees no order between the caller that fills a buffer, the
// chunks that read it, and the caller that reads the result (or frees the buffer) after the
// join, and reports every loop as a race. Under TSan these loops therefore tell it what TBB
// guarantees: everything before the loop happens before every chunk, and every chunk happens
// before everything after the loop. Two chunks stay unordered with each other, so a real race
// between chunks is still reported. In every other build the annotations compile to nothing.
//
// Each chunk also carries a ProfileTaskMark (core/step_profile.hpp): work a chunk does is
// inside its caller's call, and a kernel it calls must not count as a call of its own, on
// whichever thread the chunk runs (one relaxed load per chunk when no profile is recording).
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cstdint>

#include "core/step_profile.hpp"

#if defined(__SANITIZE_THREAD__)
#define LN_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LN_THREAD_SANITIZER 1
#endif
#endif

#ifdef LN_THREAD_SANITIZER
#include <sanitizer/tsan_interface.h>
#endif

namespace ln {
namespace detail {

// The fork and join edges of one parallel loop, as TSan happens-before annotations.
class LoopOrder {
 public:
  LoopOrder() { release(&fork_); }
  ~LoopOrder() { acquire(&join_); }
  LoopOrder(const LoopOrder&) = delete;
  LoopOrder& operator=(const LoopOrder&) = delete;
  void chunk_begins() const { acquire(&fork_); }
  void chunk_ends() const { release(&join_); }

 private:
#ifdef LN_THREAD_SANITIZER
  static void release(const char* addr) { __tsan_release(const_cast<char*>(addr)); }
  static void acquire(const char* addr) { __tsan_acquire(const_cast<char*>(addr)); }
#else
  static void release(const char*) {}
  static void acquire(const char*) {}
#endif
  char fork_ = 0;  // only their addresses are used, as TSan sync objects
  char join_ = 0;
};

}  // namespace detail

// Calls body(i) for every i in [begin, end), on TBB's threads; returns when all are done.
template <typename Index, typename Body>
void parallel_for(Index begin, Index end, const Body& body) {
  detail::LoopOrder order;
  tbb::parallel_for(begin, end, [&](Index i) {
    order.chunk_begins();
    const ProfileTaskMark in_task;
    body(i);
    order.chunk_ends();
  });
}

// Calls body(first, last) over disjoint subranges that cover [begin, end), each at least
// `grain` long (except possibly the last), on TBB's threads; returns when all are done.
template <typename Index, typename Body>
void parallel_for_ranges(Index begin, Index end, Index grain, const Body& body) {
  detail::LoopOrder order;
  tbb::parallel_for(tbb::blocked_range<Index>(begin, end, grain), [&](const tbb::blocked_range<Index>& r) {
    order.chunk_begins();
    const ProfileTaskMark in_task;
    body(r.begin(), r.end());
    order.chunk_ends();
  });
}

}  // namespace ln
