// The attention op runs the kernel in the model's precision: under a bf16 PrecisionScope its
// forward and its vjp (even when backward runs after the scope has ended) are exactly the
// kernel's bf16 mode; without one, exactly fp32.
#include <doctest/doctest.h>

#include <vector>

#include "kernels/attention/attention_kernel.hpp"
#include "ops/attention.hpp"
#include "ops/precision.hpp"
#include "support/gradcheck.hpp"

using namespace ln;

namespace {

struct KernelRun {
  std::vector<float> o, dq, dk, dv;
};

// The kernel called directly (no rotation: positions none) in the given precision.
KernelRun kernel_run(const AttentionSpec& spec, const Tensor& q, const Tensor& k, const Tensor& v,
                     const Tensor& g, Precision precision) {
  const AttentionDims dims{.batch = q.dim(0),
                           .heads = q.dim(1),
                           .q_len = q.dim(2),
                           .k_len = q.dim(2),
                           .head_dim = q.dim(3),
                           .precision = precision};
  const size_t n = static_cast<size_t>(q.numel());
  KernelRun r{std::vector<float>(n), std::vector<float>(n), std::vector<float>(n), std::vector<float>(n)};
  std::vector<float> lse(static_cast<size_t>(q.dim(0) * q.dim(1) * q.dim(2)));
  attention_forward(spec, dims, {}, q.data(), k.data(), v.data(), r.o.data(), lse.data());
  attention_backward(spec, dims, {}, q.data(), k.data(), v.data(), r.o.data(), lse.data(), g.data(),
                     r.dq.data(), r.dk.data(), r.dv.data());
  return r;
}

std::vector<float> values(const Tensor& t) { return {t.data(), t.data() + t.numel()}; }

}  // namespace

TEST_CASE("attention under a bf16 scope runs the kernel's bf16 mode, forward and vjp") {
  AttentionSpec spec;
  spec.kind = AttentionKind::dilated;
  spec.positions = PositionKind::none;
  spec.segments = {16, 64};
  spec.dilations = {1, 2};
  const Shape shape{1, 2, 70, 16};
  Tensor qt = test::random_tensor(shape, 1), kt = test::random_tensor(shape, 2),
         vt = test::random_tensor(shape, 3), gt = test::random_tensor(shape, 4);
  const KernelRun b16 = kernel_run(spec, qt, kt, vt, gt, Precision::bf16);
  const KernelRun f32 = kernel_run(spec, qt, kt, vt, gt, Precision::fp32);
  REQUIRE(b16.o != f32.o);  // the two modes differ on these inputs

  for (Precision p : {Precision::bf16, Precision::fp32}) {
    INFO("precision ", precision_name(p));
    Var q(qt, true), k(kt, true), v(vt, true);
    Var o;
    {
      PrecisionScope scope(p);
      o = attention(q, k, v, spec, 0);
    }
    o.backward(gt);  // after the scope: the vjp keeps its forward's precision
    const KernelRun& want = p == Precision::bf16 ? b16 : f32;
    CHECK(values(o.value()) == want.o);
    CHECK(values(q.grad()) == want.dq);
    CHECK(values(k.grad()) == want.dk);
    CHECK(values(v.grad()) == want.dv);
  }
}
