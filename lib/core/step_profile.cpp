#include "core/step_profile.hpp"

#include "core/error.hpp"

namespace ln {

namespace detail {
std::atomic<bool> g_step_profile_on{false};
}  // namespace detail

namespace {
// Set on the recording thread only; every other thread sees false and records nothing.
thread_local bool t_recording_thread = false;
// ln::parallel_for tasks this thread is inside (ProfileTaskMark).
thread_local int t_task_depth = 0;
}  // namespace

// The recording's state. Only the recording thread reads or writes it while recording, so it
// needs no lock; the profiler starts and stops on that thread too.
struct ProfilerState {
  ProfileClock clock = nullptr;
  StepProfile profile;
  double started_at = 0;
  ProfileScope* innermost = nullptr;  // the open scopes form a list through their parents
  int recompute_depth = 0;
  double recompute_since = 0;

  void charge(ProfileCategory c, double seconds) {
    CategoryTime& t = profile[c];
    t.seconds += seconds;
    if (recompute_depth > 0) t.recompute_seconds += seconds;
  }
  // Charges the innermost scope up to `now` and restarts its interval there: called when the
  // recompute state changes, so each interval is charged under the state it ran in.
  void split_innermost(double now) {
    if (!innermost) return;
    charge(innermost->category_, now - innermost->resumed_at_);
    innermost->resumed_at_ = now;
  }
  // What is still open, for stop()'s refusal.
  const char* open_scope_name() const {
    return innermost ? profile_category_name(innermost->category_) : "recompute";
  }
};

namespace {
ProfilerState g_state;
}  // namespace

const char* profile_category_name(ProfileCategory c) { return enum_name(kProfileCategoryNames, c); }

double StepProfile::attributed_seconds() const {
  double sum = 0;
  for (const CategoryTime& t : categories) sum += t.seconds;
  return sum;
}

StepProfile& StepProfile::operator+=(const StepProfile& other) {
  for (size_t i = 0; i < categories.size(); ++i) {
    CategoryTime& t = categories[i];
    const CategoryTime& o = other.categories[i];
    t.seconds += o.seconds;
    t.calls += o.calls;
    t.flops += o.flops;
    t.recompute_seconds += o.recompute_seconds;
  }
  wall_seconds += other.wall_seconds;
  recompute_seconds += other.recompute_seconds;
  steps += other.steps;
  return *this;
}

bool step_profile_recording() { return step_profile_on() && t_recording_thread && t_task_depth == 0; }

StepProfiler::StepProfiler(ProfileClock clock) {
  LN_CHECK(clock != nullptr, "[step_profile] the profiler needs a clock");
  LN_CHECK(!step_profile_on(),
           "[step_profile] a profile is already recording; stop() it before starting another");
  g_state = ProfilerState{};
  g_state.clock = clock;
  g_state.profile.steps = 1;
  t_recording_thread = true;
  g_state.started_at = clock();
  detail::g_step_profile_on.store(true, std::memory_order_relaxed);
}

StepProfiler::~StepProfiler() {
  if (!recording_) return;
  detail::g_step_profile_on.store(false, std::memory_order_relaxed);
  t_recording_thread = false;
}

StepProfile StepProfiler::stop() {
  LN_CHECK(recording_, "[step_profile] stop() called twice on one profiler");
  LN_CHECK(t_recording_thread, "[step_profile] stop() from a thread other than the one recording");
  LN_CHECK(g_state.innermost == nullptr && g_state.recompute_depth == 0, "[step_profile] stop() while a ",
           g_state.open_scope_name(), " scope is still open; stop after the profiled work has returned");
  g_state.profile.wall_seconds = g_state.clock() - g_state.started_at;
  detail::g_step_profile_on.store(false, std::memory_order_relaxed);
  t_recording_thread = false;
  recording_ = false;
  return g_state.profile;
}

void ProfileScope::open(ProfileCategory category, double flops) {
  if (!t_recording_thread || t_task_depth > 0) return;
  ProfilerState& s = g_state;
  s.profile[category].flops += flops;
  if (s.innermost && s.innermost->category_ == category) return;  // part of the open call
  const double now = s.clock();
  if (s.innermost) s.charge(s.innermost->category_, now - s.innermost->resumed_at_);
  ++s.profile[category].calls;
  category_ = category;
  parent_ = s.innermost;
  resumed_at_ = now;
  s.innermost = this;
  open_ = true;
}

void ProfileScope::close() {
  ProfilerState& s = g_state;
  const double now = s.clock();
  s.charge(category_, now - resumed_at_);
  s.innermost = parent_;
  if (parent_) parent_->resumed_at_ = now;  // the parent's exclusive time resumes
}

void ProfileRecomputeScope::open() {
  if (!t_recording_thread || t_task_depth > 0) return;
  ProfilerState& s = g_state;
  if (s.recompute_depth == 0) {
    const double now = s.clock();
    s.split_innermost(now);
    s.recompute_since = now;
  }
  ++s.recompute_depth;
  open_ = true;
}

void ProfileRecomputeScope::close() {
  ProfilerState& s = g_state;
  if (s.recompute_depth == 1) {
    const double now = s.clock();
    s.split_innermost(now);
    s.profile.recompute_seconds += now - s.recompute_since;
  }
  --s.recompute_depth;
}

void ProfileTaskMark::enter() {
  ++t_task_depth;
  entered_ = true;
}

void ProfileTaskMark::leave() { --t_task_depth; }

}  // namespace ln
