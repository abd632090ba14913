#pragma once
// AdamW with decoupled weight decay, step for step the update of PyTorch's torch.optim.AdamW
// (single-tensor path, amsgrad=False, maximize=False; checked against torch 1.13 in
// tests/train/test_adamw.cpp to within 1 ulp):
//
//   t      <- t + 1                                   (per parameter, like PyTorch)
//   p      <- p * (1 - lr * weight_decay)             (only when ParamRef::decay)
//   m      <- m + (1 - beta1) * (g - m)               (exp_avg)
//   v      <- beta2 * v + (1 - beta2) * g * g         (exp_avg_sq)
//   p      <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//
// The bias corrections are computed in double once per tensor; the elementwise loop runs in
// fp32 (like PyTorch's fp32 parameters) fused in one pass, split into fixed chunks over TBB.
// Every element's update depends only on its own values, so results do not depend on the
// thread count.
//
// Parameters without a gradient (grad() undefined) are skipped entirely, including their step
// count, as in PyTorch. State tensors are allocated eagerly (zeros), which is the same as
// PyTorch's lazy zero initialisation.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "autograd/var.hpp"
#include "core/tensor.hpp"

namespace ln {

struct ParamRef {
  std::string name;   // stable parameter name, e.g. "layers.3.attn.q_proj.weight"
  Var param;          // fp32 leaf; its grad() is read by step()
  bool decay = true;  // apply decoupled weight decay to this parameter
};

struct AdamWOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.95, eps = 1e-8, weight_decay = 0.1;
};

// The usual rule (GPT-2/nanoGPT style): no weight decay on norm gains, biases and
// embeddings, i.e. names containing "norm" or "embeddings", ending in ".bias", or any
// parameter with fewer than 2 dimensions. With decay_norms_and_embeddings every parameter
// decays.
bool default_decay(const std::string& param_name, int ndim, bool decay_norms_and_embeddings = false);

// The Vars of a parameter list, in order (for global_grad_norm / clip_grad_norm).
std::vector<Var> param_vars(const std::vector<ParamRef>& params);

class AdamW {
 public:
  // Checks: names unique and non-empty, params defined fp32, options in range.
  AdamW(std::vector<ParamRef> params, AdamWOptions options = {});

  // One update with learning rate `lr` (the schedule's value for this step; options().lr is
  // only the default reported by options()). Uses each parameter's grad(); skips parameters
  // without one. A grad of the wrong shape or dtype is an error naming the parameter.
  void step(double lr);
  void step() { step(options_.lr); }
  // Drops every parameter's gradient (grad() becomes undefined, so backward() starts fresh).
  void zero_grad();
  // How many times step() has run (restored by load_state).
  int64_t steps() const { return steps_; }

  const std::vector<ParamRef>& params() const { return params_; }
  const AdamWOptions& options() const { return options_; }

  // Checkpoint state, in parameter order: "step" (scalar, number of step() calls), then per
  // parameter "exp_avg.<name>", "exp_avg_sq.<name>" (parameter's shape) and "step.<name>"
  // (scalar, that parameter's own update count). Step counts are stored as fp32 scalars like
  // PyTorch does, exact up to 2^24 steps (state() refuses beyond that rather than round).
  // The tensors are copies: later steps do not change them.
  std::vector<std::pair<std::string, Tensor>> state() const;
  // Exact restore of state(). Every expected name must be present with the right shape, and
  // no unknown name may appear; errors name the tensor and what was expected.
  void load_state(const std::vector<std::pair<std::string, Tensor>>& state);

 private:
  struct Slot {
    Tensor exp_avg, exp_avg_sq;
    int64_t step = 0;
  };
  std::vector<ParamRef> params_;
  std::vector<Slot> slots_;
  AdamWOptions options_;
  int64_t steps_ = 0;
};

}  // namespace ln
