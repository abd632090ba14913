#pragma once
// A StepProfile (core/step_profile.hpp) per step, for people and for scripts: what
// `longnet bench train --profile` prints after its JSON line. A profile of n steps holds sums;
// everything here is the mean step (sum / n), so the rows add up to the mean step's wall time.
#include <string>

#include "core/json.hpp"
#include "core/step_profile.hpp"

namespace ln {

// One row per category and one for `other` (the wall time no scope claimed): ms a step, share
// of the step, calls a step, GFLOP/s where the calls declared FLOPs; then the recomputation
// line. Every line ends in '\n'.
std::string step_profile_table(const StepProfile& profile);

// The same numbers as flat keys, for each category c and for other:
//   c_ms, c_share (a fraction), c_calls, c_recompute_ms, and for gemm and attention c_flops (a step) and
//   c_gflops;
//   other_ms, other_share, recompute_ms, profiled_steps, profiled_step_ms (the mean wall time).
void add_step_profile_json(JsonObject& out, const StepProfile& profile);

}  // namespace ln
