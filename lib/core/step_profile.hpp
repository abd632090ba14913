#pragma once
// Where a training step's time goes (`longnet bench train --profile`, DESIGN §9): the step's
// wall time split into a fixed set of kinds of work, each with its calls and the FLOPs those
// calls did.
//
//   StepProfiler profiler;                      // this thread records from now on
//   session.train_step();                       // kernels mark their work (below)
//   StepProfile step = profiler.stop();         // seconds, calls, FLOPs per category
//
// A kernel marks a whole call at its entry point, the lowest layer that sees whole calls:
//   ProfileScope scope(ProfileCategory::gemm, 2.0 * m * n * k);
//
// The rules, and why:
//  - Exclusive time. While a scope is open inside another, the time is the inner scope's only
//    (a conversion inside an attention call counts once, as conversion). So the categories
//    never add up to more than the wall time, and what no scope claims is `other`.
//  - One thread. Only the thread that started the profiler records, and not inside the tasks of an
//    ln::parallel_for it runs (core/parallel_for.hpp marks them). A kernel's worker threads
//    run inside its call, whose wall time the caller's scope already measures; counting them
//    as well would count one second once per thread.
//  - A scope opened directly inside a scope of its own category is part of that call: its time
//    and FLOPs go to the open call, and it is not a call of its own.
//  - Recomputation (train.recompute) re-runs forwards inside the backward. A
//    ProfileRecomputeScope around such a re-run keeps the categories as they are (a recomputed
//    GEMM is a GEMM) and also records how much of each category's time was a re-run.
//  - Off (no StepProfiler), a scope costs one relaxed atomic load: no clock read, no allocation.
//
// The clock is a plain function (seconds, monotonic), so tests can drive it by hand.
#include <array>
#include <atomic>
#include <cstdint>

#include "core/enum_names.hpp"
#include "core/steady_clock.hpp"

namespace ln {

enum class ProfileCategory : uint8_t { gemm, attention, conversion, elementwise, optimizer, communication };
inline constexpr int kProfileCategories = 6;
// The names of the breakdown's rows and JSON keys (core/enum_names.hpp); `other`, the rest of
// the wall time, is not a category a scope can claim.
inline constexpr EnumName<ProfileCategory> kProfileCategoryNames[] = {
    {"gemm", ProfileCategory::gemm},
    {"attention", ProfileCategory::attention},
    {"conversion", ProfileCategory::conversion},
    {"elementwise", ProfileCategory::elementwise},
    {"optimizer", ProfileCategory::optimizer},
    {"communication", ProfileCategory::communication}};
const char* profile_category_name(ProfileCategory c);

// One category's share of the profiled time.
struct CategoryTime {
  double seconds = 0;            // exclusive
  int64_t calls = 0;             // scopes opened (nested same-category scopes not counted)
  double flops = 0;              // as the scopes declared them
  double recompute_seconds = 0;  // the part of `seconds` spent re-running forwards
};

// What one or more profiled intervals held. Sums: a profile of `steps` steps holds the totals,
// per_step() the mean.
struct StepProfile {
  std::array<CategoryTime, kProfileCategories> categories{};
  double wall_seconds = 0;       // the profiler's start to its stop()
  double recompute_seconds = 0;  // wall time inside recompute regions (whatever did it)
  int64_t steps = 0;             // intervals summed here

  CategoryTime& operator[](ProfileCategory c) { return categories[static_cast<size_t>(c)]; }
  const CategoryTime& operator[](ProfileCategory c) const { return categories[static_cast<size_t>(c)]; }
  double attributed_seconds() const;  // the sum over the categories
  double other_seconds() const { return wall_seconds - attributed_seconds(); }
  StepProfile& operator+=(const StepProfile& other);
};

using ProfileClock = double (*)();  // seconds on a monotonic clock

namespace detail {
extern std::atomic<bool> g_step_profile_on;
}  // namespace detail

// Whether some thread is recording (the one load a scope pays when off).
inline bool step_profile_on() { return detail::g_step_profile_on.load(std::memory_order_relaxed); }
// Whether a scope opened here would record: on, on the recording thread, outside its tasks.
// For call sites whose FLOP count costs something to compute.
bool step_profile_recording();

// One recording, on the thread that makes it. One at a time in the process.
class StepProfiler {
 public:
  // Starts recording. ln::Error when a profile is already recording.
  explicit StepProfiler(ProfileClock clock = &steady_seconds);
  // Stops a recording stop() did not end (an exception left the profiled work).
  ~StepProfiler();
  StepProfiler(const StepProfiler&) = delete;
  StepProfiler& operator=(const StepProfiler&) = delete;
  // Ends the recording and returns it (steps = 1). ln::Error when called twice, from another
  // thread, or while a scope is still open.
  StepProfile stop();

 private:
  bool recording_ = true;
};

class ProfileScope {
 public:
  explicit ProfileScope(ProfileCategory category, double flops = 0) {
    if (step_profile_on()) open(category, flops);
  }
  ~ProfileScope() {
    if (open_) close();
  }
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  friend struct ProfilerState;
  void open(ProfileCategory category, double flops);
  void close();
  ProfileCategory category_ = ProfileCategory::gemm;
  bool open_ = false;
  double resumed_at_ = 0;  // when this scope last became the innermost
  ProfileScope* parent_ = nullptr;
};

// Marks a forward re-run in backward (activation recomputation). Nests.
class ProfileRecomputeScope {
 public:
  ProfileRecomputeScope() {
    if (step_profile_on()) open();
  }
  ~ProfileRecomputeScope() {
    if (open_) close();
  }
  ProfileRecomputeScope(const ProfileRecomputeScope&) = delete;
  ProfileRecomputeScope& operator=(const ProfileRecomputeScope&) = delete;

 private:
  void open();
  void close();
  bool open_ = false;
};

// Held by each task of ln::parallel_for (core/parallel_for.hpp): scopes inside it record nothing.
class ProfileTaskMark {
 public:
  ProfileTaskMark() {
    if (step_profile_on()) enter();
  }
  ~ProfileTaskMark() {
    if (entered_) leave();
  }
  ProfileTaskMark(const ProfileTaskMark&) = delete;
  ProfileTaskMark& operator=(const ProfileTaskMark&) = delete;

 private:
  void enter();
  void leave();
  bool entered_ = false;
};

}  // namespace ln
