#pragma once
// Global-norm gradient clipping (torch.nn.utils.clip_grad_norm_ semantics) and finiteness
// checks over a list of parameters.
//
// Determinism: every tensor is cut into fixed 64k-element chunks, each chunk is summed
// serially in double, and the chunk sums are added in parameter-then-chunk order. The split
// never depends on the thread count, so the norm is bit-identical with 1 or N threads.
// Parameters whose grad() is undefined contribute nothing and are left alone.
#include <vector>

#include "autograd/var.hpp"
#include "core/tensor.hpp"

namespace ln {

// sqrt(sum over all gradient elements of g^2), accumulated in double. NaN/inf if any
// gradient element is non-finite.
double global_grad_norm(const std::vector<Var>& params);

// Returns the pre-clip global norm. If max_norm > 0 and the norm is finite and above
// max_norm, multiplies every gradient in place by max_norm / (norm + 1e-6) (PyTorch's
// coefficient). max_norm <= 0 disables clipping. A non-finite norm leaves the gradients
// untouched: the caller is expected to check the returned value (or all_finite) and stop.
double clip_grad_norm(const std::vector<Var>& params, double max_norm);

// True when every element of every defined gradient is finite.
bool all_finite(const std::vector<Var>& params);
// True when every element of the (f32) tensor is finite.
bool all_finite(const Tensor& tensor);

// grad *= factor for every defined gradient (e.g. 1/k after accumulating k micro-batches
// whose losses were not divided by k).
void scale_grads(const std::vector<Var>& params, double factor);

}  // namespace ln
