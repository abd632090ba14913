// The step profiler's accounting (core/step_profile.hpp), driven by a hand-moved clock: exclusive
// time of nested scopes, calls, FLOPs, recomputation, the one recording thread, the cost when
// off; and the mean-step report (core/step_profile_report.hpp).
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/error.hpp"
#include "core/json_reader.hpp"
#include "core/parallel_for.hpp"
#include "core/step_profile.hpp"
#include "core/step_profile_report.hpp"

using namespace ln;

namespace {

// The fake clock: its time is set by the test; every read is counted (atomics: a read from a
// thread that must not read it would otherwise be a data race as well as a failed check).
std::atomic<double> g_now{0};
std::atomic<int> g_reads{0};
double fake_clock() {
  g_reads.fetch_add(1);
  return g_now.load();
}
void set_time(double t) { g_now.store(t); }

// The JSON line of a profile, parsed back: the value of a numeric key.
double json_number(const std::string& line, const std::string& key) {
  const JsonValue v = parse_json(line, "profile line");
  const JsonValue* field = v.find(key);
  REQUIRE_MESSAGE(field != nullptr, key);
  return std::strtod(field->text.c_str(), nullptr);
}

}  // namespace

TEST_CASE("nested scopes: each interval counts once, for the innermost scope open in it") {
  set_time(0);
  StepProfiler profiler(&fake_clock);
  set_time(1);
  {
    ProfileScope gemm(ProfileCategory::gemm, 100);
    set_time(3);
    {
      ProfileScope convert(ProfileCategory::conversion);
      set_time(4);
      {
        ProfileScope fill(ProfileCategory::elementwise);
        set_time(4.5);
      }
      set_time(6);
    }
    set_time(7);
    {
      ProfileScope convert(ProfileCategory::conversion);
      set_time(7.25);
    }
    set_time(9);
  }
  set_time(10);
  {
    ProfileScope step(ProfileCategory::optimizer);
    set_time(12);
  }
  set_time(15);
  const StepProfile p = profiler.stop();
  // By hand: gemm [1, 3) + [6, 7) + [7.25, 9); conversion [3, 4) + [4.5, 6) + [7, 7.25);
  // elementwise [4, 4.5); optimizer [10, 12); other [0, 1) + [9, 10) + [12, 15).
  CHECK(p[ProfileCategory::gemm].seconds == 4.75);
  CHECK(p[ProfileCategory::conversion].seconds == 2.75);
  CHECK(p[ProfileCategory::elementwise].seconds == 0.5);
  CHECK(p[ProfileCategory::optimizer].seconds == 2);
  CHECK(p[ProfileCategory::attention].seconds == 0);
  CHECK(p[ProfileCategory::communication].seconds == 0);
  CHECK(p.wall_seconds == 15);
  CHECK(p.attributed_seconds() == 10);
  CHECK(p.other_seconds() == 5);
  CHECK(p[ProfileCategory::gemm].calls == 1);
  CHECK(p[ProfileCategory::conversion].calls == 2);
  CHECK(p[ProfileCategory::elementwise].calls == 1);
  CHECK(p[ProfileCategory::optimizer].calls == 1);
  CHECK(p[ProfileCategory::gemm].flops == 100);
  CHECK(p.steps == 1);
  CHECK(p.recompute_seconds == 0);
}

TEST_CASE("a scope directly inside one of its own category is part of that call") {
  set_time(0);
  StepProfiler profiler(&fake_clock);
  const int reads_before = g_reads.load();
  {
    ProfileScope outer(ProfileCategory::elementwise, 1);
    set_time(2);
    {
      ProfileScope inner(ProfileCategory::elementwise, 10);  // a copy inside a copy
      set_time(5);
    }
    set_time(6);
  }
  // The inner scope read no clock: only the outer's open and close did.
  CHECK(g_reads.load() - reads_before == 2);
  set_time(8);
  const StepProfile p = profiler.stop();
  CHECK(p[ProfileCategory::elementwise].seconds == 6);
  CHECK(p[ProfileCategory::elementwise].calls == 1);
  CHECK(p[ProfileCategory::elementwise].flops == 11);
  CHECK(p.other_seconds() == 2);
}

TEST_CASE("off, a scope reads no clock and records nothing") {
  CHECK_FALSE(step_profile_on());
  set_time(0);
  const int reads_before = g_reads.load();
  {
    ProfileScope gemm(ProfileCategory::gemm, 1e9);
    ProfileRecomputeScope recompute;
    ProfileScope convert(ProfileCategory::conversion);
    set_time(5);
  }
  CHECK(g_reads.load() == reads_before);
  // Scopes opened before a profile starts stay silent after it has started.
  ProfileScope before(ProfileCategory::attention);
  StepProfiler profiler(&fake_clock);
  set_time(6);
  const StepProfile p = profiler.stop();
  for (const CategoryTime& t : p.categories) {
    CHECK(t.seconds == 0);
    CHECK(t.calls == 0);
    CHECK(t.flops == 0);
  }
  CHECK(p.wall_seconds == 1);
  CHECK(g_reads.load() - reads_before == 2);  // the profiler's own start and stop
  CHECK_FALSE(step_profile_on());
}

TEST_CASE("only the recording thread records, and not inside its parallel_for tasks") {
  set_time(0);
  StepProfiler profiler(&fake_clock);
  CHECK(step_profile_recording());
  bool other_thread_recording = true;
  std::thread other([&] {
    other_thread_recording = step_profile_recording();
    ProfileScope gemm(ProfileCategory::gemm, 1e6);
    ProfileRecomputeScope recompute;
  });
  other.join();
  CHECK_FALSE(other_thread_recording);
  set_time(1);
  int reads_before = g_reads.load();
  {
    ProfileScope attention(ProfileCategory::attention, 7);
    // Tasks run on TBB's workers and on this thread; none of them records.
    std::atomic<int> recording_tasks{0};
    ln::parallel_for(int64_t{0}, int64_t{256}, [&](int64_t) {
      if (step_profile_recording()) recording_tasks.fetch_add(1);
      ProfileScope copy(ProfileCategory::elementwise);
      ProfileScope gemm(ProfileCategory::gemm, 1);
    });
    ln::parallel_for_ranges(int64_t{0}, int64_t{256}, int64_t{1},
                            [&](int64_t, int64_t) { ProfileScope copy(ProfileCategory::elementwise); });
    CHECK(recording_tasks.load() == 0);
    set_time(3);
  }
  CHECK(g_reads.load() - reads_before == 2);  // the attention scope's open and close only
  CHECK(step_profile_recording());            // after the loops, this thread records again
  set_time(4);
  const StepProfile p = profiler.stop();
  CHECK(p[ProfileCategory::attention].seconds == 2);
  CHECK(p[ProfileCategory::attention].calls == 1);
  CHECK(p[ProfileCategory::attention].flops == 7);
  CHECK(p[ProfileCategory::gemm].calls == 0);
  CHECK(p[ProfileCategory::gemm].flops == 0);
  CHECK(p[ProfileCategory::elementwise].calls == 0);
  CHECK(p.recompute_seconds == 0);
  CHECK(p.other_seconds() == 2);
}

TEST_CASE("recomputation: the categories stay, and the re-run part of each is recorded") {
  set_time(0);
  StepProfiler profiler(&fake_clock);
  {
    ProfileScope gemm(ProfileCategory::gemm);  // a backward GEMM, not a re-run
    set_time(1);
  }
  set_time(2);
  {
    ProfileRecomputeScope recompute;  // [2, 8): a re-run forward
    set_time(3);
    {
      ProfileScope gemm(ProfileCategory::gemm);
      set_time(5);
      {
        ProfileRecomputeScope nested;  // a recompute inside the re-run: one region
        set_time(6);
      }
      set_time(7);
    }
    set_time(8);
  }
  set_time(9);
  {
    ProfileScope norm(ProfileCategory::elementwise);
    set_time(10);
  }
  const StepProfile p = profiler.stop();
  CHECK(p[ProfileCategory::gemm].seconds == 5);            // [0, 1) + [3, 7)
  CHECK(p[ProfileCategory::gemm].recompute_seconds == 4);  // [3, 7)
  CHECK(p[ProfileCategory::gemm].calls == 2);
  CHECK(p[ProfileCategory::elementwise].recompute_seconds == 0);
  CHECK(p.recompute_seconds == 6);  // [2, 8), whatever it did
  CHECK(p.other_seconds() == 4);    // [1, 3) + [7, 9)
}

TEST_CASE("a scope open when the recompute state changes is charged under each state in turn") {
  set_time(0);
  StepProfiler profiler(&fake_clock);
  {
    ProfileScope attention(ProfileCategory::attention);
    set_time(1);
    {
      ProfileRecomputeScope recompute;
      set_time(4);
    }
    set_time(6);
  }
  const StepProfile p = profiler.stop();
  CHECK(p[ProfileCategory::attention].seconds == 6);
  CHECK(p[ProfileCategory::attention].recompute_seconds == 3);
  CHECK(p.recompute_seconds == 3);
}

TEST_CASE("misuse of the profiler is refused with a reason") {
  set_time(0);
  {
    StepProfiler profiler(&fake_clock);
    CHECK_THROWS_WITH_AS(StepProfiler{&fake_clock}, doctest::Contains("already recording"), ln::Error);
    {
      ProfileScope open(ProfileCategory::gemm);
      CHECK_THROWS_WITH_AS(profiler.stop(), doctest::Contains("gemm scope is still open"), ln::Error);
    }
    std::string from_other;
    std::thread other([&] {
      try {
        profiler.stop();
      } catch (const ln::Error& e) {
        from_other = e.what();
      }
    });
    other.join();
    CHECK(from_other.find("from a thread other than the one recording") != std::string::npos);
    profiler.stop();
    CHECK_THROWS_WITH_AS(profiler.stop(), doctest::Contains("called twice"), ln::Error);
  }
  CHECK_THROWS_WITH_AS(StepProfiler{nullptr}, doctest::Contains("needs a clock"), ln::Error);
  // A profiler left by an exception stops recording when it goes.
  try {
    StepProfiler profiler(&fake_clock);
    ProfileScope scope(ProfileCategory::optimizer);
    throw std::runtime_error("the step failed");
  } catch (const std::runtime_error&) {
  }
  CHECK_FALSE(step_profile_on());
  CHECK_NOTHROW(StepProfiler{&fake_clock}.stop());
}

TEST_CASE("the report shows the mean step: rows add up to the wall time, GFLOP/s where FLOPs count") {
  StepProfile one, two;
  one.steps = two.steps = 1;
  one[ProfileCategory::gemm] = {0.006, 10, 6e9, 0.001};  // 6 ms, 10 calls, 6 GFLOP
  two[ProfileCategory::gemm] = {0.010, 10, 6e9, 0.003};
  one[ProfileCategory::attention] = {0.002, 2, 1e9, 0};
  two[ProfileCategory::attention] = {0.002, 2, 1e9, 0};
  one[ProfileCategory::elementwise] = {0.001, 40, 0, 0};
  two[ProfileCategory::elementwise] = {0.001, 41, 0, 0};
  one.wall_seconds = 0.012;
  two.wall_seconds = 0.016;
  one.recompute_seconds = 0.0015;
  two.recompute_seconds = 0.0035;
  StepProfile sum;
  sum += one;
  sum += two;
  REQUIRE(sum.steps == 2);
  // Mean step: 14 ms; gemm 8 ms (12 GFLOP in 16 ms: 750 GFLOP/s); attention 2 ms (2 GFLOP in
  // 4 ms: 500 GFLOP/s);
  // elementwise 1 ms, 40.5 calls; other 14 - 11 = 3 ms; recompute 2.5 ms, of it gemm 2 ms.
  const std::string table = step_profile_table(sum);
  CHECK(table.find("gemm                 8.00   57.1%          10     750.0\n") != std::string::npos);
  CHECK(table.find("attention            2.00   14.3%           2     500.0\n") != std::string::npos);
  CHECK(table.find("elementwise          1.00    7.1%        40.5         -\n") != std::string::npos);
  CHECK(table.find("conversion           0.00    0.0%           0         -\n") != std::string::npos);
  CHECK(table.find("other                3.00   21.4%           -         -\n") != std::string::npos);
  CHECK(table.find("step                14.00  100.0%") != std::string::npos);
  CHECK(table.find("recompute: 2.50 ms/step") != std::string::npos);
  CHECK(table.find("gemm 2.00 ms") != std::string::npos);

  JsonObject out;
  add_step_profile_json(out, sum);
  const std::string line = out.str();
  CHECK(json_number(line, "profiled_steps") == 2);
  CHECK(json_number(line, "profiled_step_ms") == doctest::Approx(14));
  CHECK(json_number(line, "gemm_ms") == doctest::Approx(8));
  CHECK(json_number(line, "gemm_share") == doctest::Approx(8.0 / 14));
  CHECK(json_number(line, "gemm_calls") == 10);
  CHECK(json_number(line, "gemm_flops") == doctest::Approx(6e9));
  CHECK(json_number(line, "gemm_gflops") == doctest::Approx(750));
  CHECK(json_number(line, "gemm_recompute_ms") == doctest::Approx(2));
  CHECK(json_number(line, "attention_gflops") == doctest::Approx(500));
  CHECK(json_number(line, "elementwise_calls") == doctest::Approx(40.5));
  CHECK(json_number(line, "other_ms") == doctest::Approx(3));
  CHECK(json_number(line, "recompute_ms") == doctest::Approx(2.5));
  CHECK(line.find("elementwise_gflops") == std::string::npos);  // no FLOPs counted there
  double sum_ms = json_number(line, "other_ms");
  for (const char* c : {"gemm", "attention", "conversion", "elementwise", "optimizer", "communication"})
    sum_ms += json_number(line, std::string(c) + "_ms");
  CHECK(sum_ms == doctest::Approx(14));

  CHECK_THROWS_WITH_AS(step_profile_table(StepProfile{}), doctest::Contains("holds no steps"), ln::Error);
}
