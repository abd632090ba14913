#pragma once
// Shared helpers of the attention kernel tests: random inputs, float <-> double, comparisons.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "kernels/attention/attention_kernel.hpp"
#include "kernels/reference/attention_reference.hpp"

namespace ln::test {

inline std::vector<float> random_floats(int64_t n, uint64_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> out(static_cast<size_t>(n));
  for (auto& x : out) x = dist(rng);
  return out;
}

inline std::vector<double> to_double(const std::vector<float>& x) { return {x.begin(), x.end()}; }

// max |a - b| / (atol + rtol |b|) over all elements; <= 1 means "close".
inline double worst_ratio(const std::vector<float>& a, const std::vector<double>& b, double atol,
                          double rtol) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isinf(b[i]) && a[i] == b[i]) continue;
    const double err = std::abs(static_cast<double>(a[i]) - b[i]);
    worst = std::max(worst, std::isnan(err) ? 1e30 : err / (atol + rtol * std::abs(b[i])));
  }
  return worst;
}

struct AttnCase {
  AttentionSpec spec;
  AttentionDims dims;
  AttentionWindow window;
};

inline AttnCase make_case(AttentionSpec spec, int64_t B, int64_t H, int64_t T, int64_t D) {
  AttnCase c;
  c.spec = std::move(spec);
  c.dims.batch = B;
  c.dims.heads = H;
  c.dims.q_len = c.dims.k_len = T;
  c.dims.head_dim = D;
  return c;
}

// What a forward and backward pass produce.
struct AttnOutputs {
  std::vector<float> o, lse, dq, dk, dv;
};

// The plain-loop multiset reference (kernels/reference/) in double: forward o and lse, and the
// backward's dq, dk, dv for the seed gradient dout.
struct ReferenceOutputs {
  std::vector<double> o, lse, dq, dk, dv;
};
inline ReferenceOutputs reference_outputs(const AttnCase& c, const std::vector<float>& q,
                                          const std::vector<float>& k, const std::vector<float>& v,
                                          const std::vector<float>& dout) {
  const AttentionDims& d = c.dims;
  ReferenceOutputs r;
  r.o.resize(q.size());
  r.lse.resize(static_cast<size_t>(d.batch * d.heads * d.q_len));
  r.dq.resize(q.size());
  r.dk.resize(k.size());
  r.dv.resize(v.size());
  const std::vector<double> qd(q.begin(), q.end()), kd(k.begin(), k.end()), vd(v.begin(), v.end()),
      dod(dout.begin(), dout.end());
  reference::attention_forward_multiset(c.spec, d, c.window, qd.data(), kd.data(), vd.data(), r.o.data(),
                                        r.lse.data());
  reference::attention_backward_multiset(c.spec, d, c.window, qd.data(), kd.data(), vd.data(), dod.data(),
                                         r.dq.data(), r.dk.data(), r.dv.data());
  return r;
}

inline AttentionSpec dilated_spec(std::vector<int64_t> w, std::vector<int64_t> r, bool causal = true,
                                  HeadOffset rule = HeadOffset::mod, PositionKind pos = PositionKind::none) {
  AttentionSpec s;
  s.kind = AttentionKind::dilated;
  s.segments = std::move(w);
  s.dilations = std::move(r);
  s.causal = causal;
  s.head_offset = rule;
  s.positions = pos;
  return s;
}

}  // namespace ln::test
