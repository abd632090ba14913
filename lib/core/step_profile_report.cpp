#include "core/step_profile_report.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

#include "core/error.hpp"
#include "core/number_format.hpp"

namespace ln {

namespace {

// The categories whose calls count FLOPs (GEMM: 2mnk; attention: the kernel's useful FLOPs).
bool counts_flops(ProfileCategory c) { return c == ProfileCategory::gemm || c == ProfileCategory::attention; }

// A profile's numbers per step.
struct PerStep {
  double steps, wall_s;
  explicit PerStep(const StepProfile& p)
      : steps(static_cast<double>(p.steps)), wall_s(p.wall_seconds / steps) {
    LN_CHECK(p.steps >= 1, "[step_profile] the profile holds no steps; profile at least one step");
  }
  double ms(double seconds) const { return 1e3 * seconds / steps; }
  double share(double seconds) const { return wall_s > 0 ? seconds / steps / wall_s : 0.0; }
  double calls(int64_t calls) const { return static_cast<double>(calls) / steps; }
};

double gflops(const CategoryTime& t) {
  return t.seconds > 0 ? t.flops / t.seconds / 1e9 : std::numeric_limits<double>::quiet_NaN();
}

// Calls a step: whole when every step made the same calls, else one decimal.
std::string calls_text(double calls) { return format_fixed(calls, calls == std::floor(calls) ? 0 : 1); }

std::string row(const char* name, double ms, double share, const std::string& calls,
                const std::string& rate) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%-14s %10s %7s %11s %9s", name, format_fixed(ms, 2).c_str(),
                (format_fixed(100 * share, 1) + "%").c_str(), calls.c_str(), rate.c_str());
  std::string line = buf;
  line.erase(line.find_last_not_of(' ') + 1);  // the step row leaves its last columns empty
  return line + "\n";
}

}  // namespace

std::string step_profile_table(const StepProfile& p) {
  const PerStep per(p);
  char header[160];
  std::snprintf(header, sizeof header, "%-14s %10s %7s %11s %9s\n", "category", "ms/step", "share",
                "calls/step", "GFLOP/s");
  std::string out = header;
  for (int i = 0; i < kProfileCategories; ++i) {
    const auto c = static_cast<ProfileCategory>(i);
    const CategoryTime& t = p[c];
    out += row(profile_category_name(c), per.ms(t.seconds), per.share(t.seconds),
               calls_text(per.calls(t.calls)), counts_flops(c) ? format_fixed(gflops(t), 1) : "-");
  }
  out += row("other", per.ms(p.other_seconds()), per.share(p.other_seconds()), "-", "-");
  out += row("step", 1e3 * per.wall_s, 1.0, "", "");
  out +=
      "elementwise: norms, GELU, dropout, softmax and cross-entropy, embedding, convolution, rotation, "
      "adds, fills, copies, transposes, reductions; other: what no kernel claims (autograd, allocation, "
      "batch sampling)\n";
  std::string recomputed;
  for (int i = 0; i < kProfileCategories; ++i) {
    const auto c = static_cast<ProfileCategory>(i);
    if (p[c].recompute_seconds <= 0) continue;
    recomputed += std::string(recomputed.empty() ? "" : ", ") + profile_category_name(c) + " " +
                  format_fixed(per.ms(p[c].recompute_seconds), 2);
  }
  out += "recompute: " + format_fixed(per.ms(p.recompute_seconds), 2) +
         " ms/step re-running forwards in the backward (already inside the rows above" +
         (recomputed.empty() ? "" : "; " + recomputed + " ms") + ")\n";
  return out;
}

void add_step_profile_json(JsonObject& out, const StepProfile& p) {
  const PerStep per(p);
  out.add("profiled_steps", p.steps).add("profiled_step_ms", 1e3 * per.wall_s);
  for (int i = 0; i < kProfileCategories; ++i) {
    const auto c = static_cast<ProfileCategory>(i);
    const CategoryTime& t = p[c];
    const std::string name = profile_category_name(c);
    out.add(name + "_ms", per.ms(t.seconds))
        .add(name + "_share", per.share(t.seconds))
        .add(name + "_calls", per.calls(t.calls))
        .add(name + "_recompute_ms", per.ms(t.recompute_seconds));
    if (counts_flops(c)) out.add(name + "_flops", t.flops / per.steps).add(name + "_gflops", gflops(t));
  }
  out.add("other_ms", per.ms(p.other_seconds()))
      .add("other_share", per.share(p.other_seconds()))
      .add("recompute_ms", per.ms(p.recompute_seconds));
}

}  // namespace ln
