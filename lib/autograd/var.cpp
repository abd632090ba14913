#include "autograd/var.hpp"

#include <unordered_map>
#include <unordered_set>

#include "autograd/activation_recompute.hpp"
#include "core/error.hpp"

namespace ln {

namespace {
thread_local bool t_grad_enabled = true;
}

bool grad_enabled() { return t_grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(t_grad_enabled) { t_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { t_grad_enabled = previous_; }
GradModeGuard::GradModeGuard() : previous_(t_grad_enabled) { t_grad_enabled = true; }
GradModeGuard::~GradModeGuard() { t_grad_enabled = previous_; }

VarImpl::~VarImpl() {
  // A chain of 10^5 ops would destroy itself recursively (Var -> Node -> Var -> ...) and
  // overflow the stack. Instead, detach nodes whose last owner is going away onto an
  // explicit stack, so each destructor below runs with an already-empty node.
  if (!node || node.use_count() > 1) return;
  std::vector<std::shared_ptr<Node>> pending;
  pending.push_back(std::move(node));
  while (!pending.empty()) {
    std::shared_ptr<Node> current = std::move(pending.back());
    pending.pop_back();
    for (auto& input : current->inputs) {
      if (input && input.use_count() == 1 && input->node && input->node.use_count() == 1) {
        pending.push_back(std::move(input->node));
      }
    }
    current->inputs.clear();
    current->vjp = nullptr;
  }
}

Var::Var(Tensor value, bool requires_grad) : impl_(std::make_shared<VarImpl>()) {
  impl_->value = std::move(value);
  impl_->requires_grad = requires_grad;
  acquire();
}

Var& Var::operator=(const Var& other) {
  if (impl_ == other.impl_) return *this;
  release();
  impl_ = other.impl_;
  acquire();
  return *this;
}

Var& Var::operator=(Var&& other) noexcept {
  if (this == &other) return *this;
  release();
  impl_ = std::move(other.impl_);  // the handle moves with it: no count change
  return *this;
}

void Var::release() {
  if (!impl_) return;
  // Only the graph can still reach an intermediate without handles, and the graph needs its
  // shape, not its value (the vjps hold what they saved). Leaves keep theirs (parameters).
  if (impl_->handles.fetch_sub(1, std::memory_order_acq_rel) == 1 && impl_->node && impl_->value.defined()) {
    impl_->released_shape = impl_->value.shape();
    impl_->value = Tensor();
  }
  impl_.reset();
}

Var make_result(Tensor value, const std::vector<Var>& inputs, const char* name, VjpFn vjp) {
  Var out(std::move(value), false);
  if (!t_grad_enabled) return out;
  bool any = false;
  for (const Var& in : inputs) any = any || in.requires_grad();
  if (!any) return out;
  auto node = std::make_shared<Node>();
  node->name = name;
  node->inputs.reserve(inputs.size());
  for (const Var& in : inputs) node->inputs.push_back(in.requires_grad() ? in.impl() : nullptr);
  node->vjp = std::move(vjp);
  out.impl()->requires_grad = true;
  out.impl()->node = std::move(node);
  return out;
}

void Var::backward() {
  LN_CHECK(impl_, "[backward] called on an empty Var");
  LN_CHECK(impl_->value.numel() == 1, "[backward] needs a seed gradient for a non-scalar of shape ",
           shape_str(impl_->value.shape()), "; call backward(seed) or reduce to a scalar loss first");
  backward(Tensor::full(impl_->value.shape(), 1.0f));
}

void Var::backward(const Tensor& seed) { backward(seed, {}); }

void Var::backward(const Tensor& seed, const std::function<void(VarImpl& leaf)>& leaf_done) {
  LN_CHECK(impl_, "[backward] called on an empty Var");
  LN_CHECK(impl_->requires_grad,
           "[backward] this value does not depend on anything that requires "
           "grad (was it computed under NoGradGuard, or from leaves created without requires_grad?)");
  LN_CHECK(seed.shape() == impl_->value.shape(), "[backward] seed shape ", shape_str(seed.shape()),
           " does not match value shape ", shape_str(impl_->value.shape()));

  // Topological order by an iterative post-order DFS (an explicit stack, never recursion:
  // long sequences and deep models make graphs far deeper than the C++ stack).
  std::vector<VarImpl*> order;
  std::unordered_set<VarImpl*> visited;
  std::vector<std::pair<VarImpl*, size_t>> stack;
  stack.emplace_back(impl_.get(), 0);
  visited.insert(impl_.get());
  while (!stack.empty()) {
    auto& [var, next] = stack.back();
    Node* node = var->node.get();
    if (node && next < node->inputs.size()) {
      VarImpl* child = node->inputs[next++].get();
      if (child && visited.insert(child).second) stack.emplace_back(child, 0);
      continue;
    }
    order.push_back(var);
    stack.pop_back();
  }

  // Walk from the output back. Gradients of intermediate values live in `pending` only
  // until their node has consumed them; leaves accumulate into VarImpl::grad. A node drops
  // its input links once its vjp has run (`pending` keeps alive the inputs that still wait
  // for their turn), so every intermediate value the caller does not hold is freed as soon
  // as the walk has passed it: backward's peak memory falls as it goes instead of holding
  // the whole forward until the end.
  struct Pending {
    std::shared_ptr<VarImpl> keep;
    Tensor grad;
  };
  std::unordered_map<VarImpl*, Pending> pending;
  pending[impl_.get()] = Pending{impl_, seed.clone()};
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    VarImpl* var = *it;
    auto found = pending.find(var);
    if (found == pending.end()) continue;  // no gradient reached it (it may be freed already)
    std::shared_ptr<VarImpl> keep = std::move(found->second.keep);
    Tensor grad = std::move(found->second.grad);
    pending.erase(found);
    if (!var->node) {
      // The leaf owns its gradient buffer (a vjp may hand the same tensor to several
      // inputs), so the first contribution is copied and later ones are added in place.
      if (var->grad.defined())
        var->grad.add_(grad);
      else
        var->grad = grad.clone();
      // All of this leaf's consumers come before it in the reverse order: its gradient is final.
      if (leaf_done) leaf_done(*var);
      continue;
    }
    Node& node = *var->node;
    LN_CHECK(node.vjp, "[backward] the graph through '", node.name,
             "' was already used by an earlier backward(); recompute the forward");
    std::vector<Tensor> grads = node.vjp(grad);
    node.vjp = nullptr;  // free saved activations now, not at the end of the pass
    grad = Tensor();
    LN_CHECK(grads.size() == node.inputs.size(), "[backward] op '", node.name, "' returned ", grads.size(),
             " gradients for ", node.inputs.size(), " inputs");
    for (size_t i = 0; i < grads.size(); ++i) {
      std::shared_ptr<VarImpl>& input = node.inputs[i];
      if (!input || !grads[i].defined()) continue;
      LN_CHECK(grads[i].shape() == input->value_shape(), "[backward] op '", node.name,
               "' returned a gradient of shape ", shape_str(grads[i].shape()), " for input ", i, " of shape ",
               shape_str(input->value_shape()));
      auto slot = pending.find(input.get());
      if (slot == pending.end()) {
        pending.emplace(input.get(), Pending{input, std::move(grads[i])});
      } else {
        // Used more than once: sum the contributions. In place when the pending buffer is
        // ours alone; otherwise into a fresh buffer, since it may also be held elsewhere (a
        // vjp may return one tensor for two inputs, or a saved activation).
        Tensor& acc = slot->second.grad;
        if (acc.storage_refs() == 1) {
          acc.add_(grads[i]);
        } else {
          Tensor sum = acc.clone();
          sum.add_(grads[i]);
          acc = std::move(sum);
        }
      }
    }
    node.inputs.clear();
  }
}

}  // namespace ln
