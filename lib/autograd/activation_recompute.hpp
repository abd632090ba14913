#pragma once
// Recomputation (activation checkpointing) as two autograd ops.
//
// checkpoint(fn, x): y = fn(x), run without recording; the node keeps only x. Its vjp runs
// fn(x) again with recording on and backpropagates dy through that fresh graph, so every
// leaf fn reads (the module's parameters) gets exactly the gradient it would get without
// recomputation, and x gets dx. fn must be a pure function of x and the leaves it reads
// (dropout masks are counter-based, so re-running a block re-draws the same mask).
//
// chunked_rows(fn, x, chunk): x (..., C_in) viewed as R rows; y = fn applied to blocks of at
// most `chunk` rows (fn must be row-wise: row i of y depends only on row i of x). Forward and
// backward each hold one chunk of fn's intermediates at a time (for the MLP: (chunk x 4C)
// instead of (T x 4C)); the backward recomputes fn per chunk like checkpoint().
// Without grad mode both are plain calls (chunked_rows still runs chunk by chunk).
// With grad mode chunked_rows always recomputes, even when R fits one chunk.
#include <cstdint>
#include <functional>

#include "autograd/var.hpp"

namespace ln {

using VarFn = std::function<Var(const Var&)>;

Var checkpoint(const VarFn& fn, const Var& x, const char* name = "checkpoint");
Var chunked_rows(const VarFn& fn, const Var& x, int64_t chunk, const char* name = "chunked_rows");

// Turns recording on for the current thread within its scope (a recompute inside backward
// must record even when the caller's backward runs under NoGradGuard).
class GradModeGuard {
 public:
  GradModeGuard();
  ~GradModeGuard();
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace ln
