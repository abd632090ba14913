#include "kernels/broadcast.hpp"

#include <vector>

#include "core/step_profile.hpp"
#include "kernels/parallel.hpp"

namespace ln {

namespace {

struct Dims {
  std::vector<int64_t> size, sa, sb;  // outermost first
};

// Drops size-1 dims and merges a dim into its inner neighbour when both operands step
// through the pair as through one dim. Always returns at least one dim.
Dims collapse(const int64_t* shape, const int64_t* sa, const int64_t* sb, int rank) {
  Dims d;
  for (int i = 0; i < rank; ++i) {
    if (shape[i] == 1) continue;
    if (!d.size.empty()) {
      int64_t n = d.size.back();
      bool merge_a = sa[i] * shape[i] == d.sa.back() || (sa[i] == 0 && d.sa.back() == 0);
      bool merge_b = sb[i] * shape[i] == d.sb.back() || (sb[i] == 0 && d.sb.back() == 0);
      if (merge_a && merge_b) {
        d.size.back() = n * shape[i];
        d.sa.back() = sa[i];
        d.sb.back() = sb[i];
        continue;
      }
    }
    d.size.push_back(shape[i]);
    d.sa.push_back(sa[i]);
    d.sb.push_back(sb[i]);
  }
  if (d.size.empty()) {
    d.size.push_back(1);
    d.sa.push_back(1);
    d.sb.push_back(1);
  }
  return d;
}

// Offsets of row r (all dims but the last) into a and b.
void row_offsets(const Dims& d, int64_t r, int64_t& oa, int64_t& ob) {
  oa = ob = 0;
  for (int i = static_cast<int>(d.size.size()) - 2; i >= 0; --i) {
    int64_t idx = r % d.size[i];
    r /= d.size[i];
    oa += idx * d.sa[i];
    ob += idx * d.sb[i];
  }
}

template <BinaryOp Op>
inline float apply(float x, float y) {
  if constexpr (Op == BinaryOp::add)
    return x + y;
  else if constexpr (Op == BinaryOp::sub)
    return x - y;
  else
    return x * y;
}

template <BinaryOp Op>
void binary_rows(const Dims& d, const float* a, const float* b, float* out) {
  const int64_t inner = d.size.back();
  int64_t rows = 1;
  for (size_t i = 0; i + 1 < d.size.size(); ++i) rows *= d.size[i];
  const int64_t ia = d.sa.back(), ib = d.sb.back();
  par::for_rows(rows, inner, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int64_t oa, ob;
      row_offsets(d, r, oa, ob);
      const float* pa = a + oa;
      const float* pb = b + ob;
      float* po = out + r * inner;
      if (ia == 1 && ib == 1) {
#pragma omp simd
        for (int64_t j = 0; j < inner; ++j) po[j] = apply<Op>(pa[j], pb[j]);
      } else if (ia == 1) {
        float vb = pb[0];
#pragma omp simd
        for (int64_t j = 0; j < inner; ++j) po[j] = apply<Op>(pa[j], vb);
      } else if (ib == 1) {
        float va = pa[0];
#pragma omp simd
        for (int64_t j = 0; j < inner; ++j) po[j] = apply<Op>(va, pb[j]);
      } else {
        float v = apply<Op>(pa[0], pb[0]);
        for (int64_t j = 0; j < inner; ++j) po[j] = v;
      }
    }
  });
}

// Serially accumulates rows [r0, r1) of g (collapsed dims `d`, sa = in strides) into in.
void reduce_rows_serial(const Dims& d, const float* g, float* in, int64_t r0, int64_t r1) {
  const int64_t inner = d.size.back();
  const int64_t is = d.sa.back();
  for (int64_t r = r0; r < r1; ++r) {
    int64_t oi, unused;
    row_offsets(d, r, oi, unused);
    const float* pg = g + r * inner;
    float* pi = in + oi;
    if (is == 1) {
#pragma omp simd
      for (int64_t j = 0; j < inner; ++j) pi[j] += pg[j];
    } else {
      float s = 0.0f;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < inner; ++j) s += pg[j];
      pi[0] += s;
    }
  }
}

}  // namespace

void broadcast_binary(BinaryOp op, const float* a, const int64_t* a_strides, const float* b,
                      const int64_t* b_strides, const int64_t* out_shape, int rank, float* out) {
  const ProfileScope profile(ProfileCategory::elementwise);
  Dims d = collapse(out_shape, a_strides, b_strides, rank);
  switch (op) {
    case BinaryOp::add:
      binary_rows<BinaryOp::add>(d, a, b, out);
      break;
    case BinaryOp::sub:
      binary_rows<BinaryOp::sub>(d, a, b, out);
      break;
    case BinaryOp::mul:
      binary_rows<BinaryOp::mul>(d, a, b, out);
      break;
  }
}

void broadcast_reduce(const float* g, const int64_t* out_shape, const int64_t* in_strides, int rank,
                      float scale, float* in, int64_t in_numel) {
  const ProfileScope profile(ProfileCategory::elementwise);
  // Collapse on the input's strides only (g is contiguous, so any merge is valid for g).
  Dims d = collapse(out_shape, in_strides, in_strides, rank);
  const int64_t inner = d.size.back();
  int64_t rows = 1;
  for (size_t i = 0; i + 1 < d.size.size(); ++i) rows *= d.size[i];
  for (int64_t i = 0; i < in_numel; ++i) in[i] = 0.0f;

  if (d.size.size() >= 2 && d.sa[0] != 0) {
    // The outermost dim is kept: its slices own disjoint parts of `in`, so split over it.
    const int64_t outer = d.size[0];
    const int64_t rows_per = rows / outer;
    par::for_rows(outer, rows_per * inner, [&](int64_t o0, int64_t o1) {
      reduce_rows_serial(d, g, in, o0 * rows_per, o1 * rows_per);
    });
  } else {
    // The outermost dim is reduced: fixed chunks of rows into private partials, combined in
    // chunk order -- but only when the partials are small next to g.
    int64_t chunks = par::fixed_chunks(rows);
    if (chunks > 1 && in_numel * chunks * 4 <= rows * inner) {
      std::vector<float> partial(static_cast<size_t>(chunks * in_numel), 0.0f);
      par::for_rows(chunks, rows / chunks * inner, [&](int64_t k0, int64_t k1) {
        for (int64_t k = k0; k < k1; ++k)
          reduce_rows_serial(d, g, partial.data() + k * in_numel, par::chunk_begin(rows, chunks, k),
                             par::chunk_begin(rows, chunks, k + 1));
      });
      for (int64_t k = 0; k < chunks; ++k) {
        const float* p = partial.data() + k * in_numel;
#pragma omp simd
        for (int64_t i = 0; i < in_numel; ++i) in[i] += p[i];
      }
    } else {
      reduce_rows_serial(d, g, in, 0, rows);
    }
  }
  if (scale != 1.0f) {
#pragma omp simd
    for (int64_t i = 0; i < in_numel; ++i) in[i] *= scale;
  }
}

}  // namespace ln
