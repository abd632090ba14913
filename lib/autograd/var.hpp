#pragma once
// Reverse-mode autograd: Var (a value, its gradient, and the node that made it), the tape
// implied by node->inputs links, and backward() by an iterative topological walk.
//
// Rules for op writers (lib/ops):
//  - Build results with `make_result(value, {inputs...}, "name", vjp)`. The vjp receives the
//    gradient of the result and returns one Tensor per input, in order (an undefined Tensor
//    means "no gradient for this input").
//  - A vjp captures the Tensors it needs (saved activations), never Vars: capturing a Var
//    would make a reference cycle. Captured tensors are freed right after the vjp has run.
//  - Under `NoGradGuard`, make_result records nothing (inference, evaluation, generation).
//
// Values the graph alone holds are freed. The backward needs only what the vjps saved, so when
// the last Var handle of an intermediate result goes away (the forward's locals at its end),
// its value is dropped and only its shape kept: a tensor no vjp captured is freed there, and
// one an op saved in another form (linear's bf16 copy of its input) costs only that form.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace ln {

struct VarImpl;
using VjpFn = std::function<std::vector<Tensor>(const Tensor& grad_out)>;

struct Node {
  const char* name = "";
  std::vector<std::shared_ptr<VarImpl>> inputs;
  VjpFn vjp;  // emptied after it has run: frees the tensors it saved
};

struct VarImpl {
  Tensor value;  // undefined once an intermediate has no handle left (see above)
  Tensor grad;   // leaves: accumulated across backward() calls until zero_grad()
  bool requires_grad = false;
  std::shared_ptr<Node> node;   // null for leaves
  std::atomic<int> handles{0};  // Var objects pointing here (node->inputs links are not handles)
  Shape released_shape;         // the value's shape after it was dropped
  ~VarImpl();                   // tears long chains down without recursion
  const Shape& value_shape() const { return value.defined() ? value.shape() : released_shape; }
};

class Var {
 public:
  Var() = default;
  explicit Var(Tensor value, bool requires_grad = false);
  Var(const Var& other) : impl_(other.impl_) { acquire(); }
  Var(Var&& other) noexcept : impl_(std::move(other.impl_)) {}
  Var& operator=(const Var& other);
  Var& operator=(Var&& other) noexcept;
  ~Var() { release(); }

  bool defined() const { return impl_ != nullptr; }
  const Tensor& value() const { return impl_->value; }
  Tensor& value() { return impl_->value; }
  // The accumulated gradient (undefined until a backward pass reaches this Var).
  const Tensor& grad() const { return impl_->grad; }
  Tensor& grad() { return impl_->grad; }
  bool requires_grad() const { return impl_ && impl_->requires_grad; }
  const Shape& shape() const { return impl_->value.shape(); }
  int64_t dim(int i) const { return impl_->value.dim(i); }
  int ndim() const { return impl_->value.ndim(); }
  int64_t numel() const { return impl_->value.numel(); }
  const char* op_name() const { return impl_->node ? impl_->node->name : "leaf"; }

  // Backpropagates from this Var. Without a seed the Var must hold one element (a loss)
  // and is seeded with 1. Gradients of leaves accumulate; intermediate nodes are released.
  void backward();
  void backward(const Tensor& seed);
  // The same, calling leaf_done(leaf) as soon as a leaf's gradient is complete for this pass
  // (every op that used it has run), so its all-reduce can overlap the rest of the backward.
  void backward(const Tensor& seed, const std::function<void(VarImpl& leaf)>& leaf_done);
  void zero_grad() { impl_->grad = Tensor(); }
  // Cuts this Var from its history (it becomes a leaf holding the same value).
  Var detach() const { return Var(impl_->value, false); }

  const std::shared_ptr<VarImpl>& impl() const { return impl_; }

 private:
  void acquire() {
    if (impl_) impl_->handles.fetch_add(1, std::memory_order_relaxed);
  }
  void release();  // drops this handle; the last one of an intermediate frees its value
  std::shared_ptr<VarImpl> impl_;
};

// Records an op's result. Only records the node if grad mode is on and an input needs grad.
Var make_result(Tensor value, const std::vector<Var>& inputs, const char* name, VjpFn vjp);

bool grad_enabled();

// Disables recording for the current thread within its scope.
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace ln
