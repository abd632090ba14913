#include "ops/shape.hpp"

#include <algorithm>

#include "kernels/copy_rows.hpp"
#include "kernels/transpose.hpp"
#include "ops/shape_util.hpp"

namespace ln {

using shape::check_f32;

Var reshape(const Var& x, const Shape& shape) {
  LN_CHECK(x.defined(), "[reshape] input is an empty Var");
  Tensor out = x.value().reshape(shape);  // throws "[reshape] cannot reshape ..." on mismatch
  Shape in_shape = x.shape();
  return make_result(out, {x}, "reshape",
                     [in_shape](const Tensor& g) { return std::vector<Tensor>{g.reshape(in_shape)}; });
}

Var view(const Var& x, const Shape& shape) { return reshape(x, shape); }

namespace {
// x viewed as (A, M, B, N, K) with M = dim lo, N = dim hi -> (A, N, B, M, K).
Tensor swap_dims(const Tensor& x, int lo, int hi) {
  const Shape& s = x.shape();
  Shape out_shape = s;
  std::swap(out_shape[lo], out_shape[hi]);
  Tensor out = Tensor::empty(out_shape);
  transpose_copy(x.data(), shape::product(s, 0, lo), s[lo], shape::product(s, lo + 1, hi), s[hi],
                 shape::product(s, hi + 1, x.ndim()), out.data());
  return out;
}
}  // namespace

Var transpose(const Var& x, int dim0, int dim1) {
  check_f32(x, "transpose");
  int a = shape::normalize_dim(dim0, x.ndim(), "transpose");
  int b = shape::normalize_dim(dim1, x.ndim(), "transpose");
  if (a == b) return reshape(x, x.shape());
  int lo = std::min(a, b), hi = std::max(a, b);
  return make_result(swap_dims(x.value(), lo, hi), {x}, "transpose",
                     [lo, hi](const Tensor& g) { return std::vector<Tensor>{swap_dims(g, lo, hi)}; });
}

Var slice(const Var& x, int dim, int64_t start, int64_t end) {
  check_f32(x, "slice");
  int d = shape::normalize_dim(dim, x.ndim(), "slice");
  const Shape in_shape = x.shape();
  int64_t size = in_shape[d];
  int64_t s = start < 0 ? start + size : start;
  int64_t e = end < 0 ? end + size : end;
  LN_CHECK(s >= 0 && s <= e && e <= size, "[slice] range [", start, ", ", end, ") is not inside dim ", d,
           " of size ", size, " (shape ", shape_str(in_shape), "); need 0 <= start <= end <= ", size);
  Shape out_shape = in_shape;
  out_shape[d] = e - s;
  const int64_t outer = shape::product(in_shape, 0, d);
  const int64_t inner = shape::product(in_shape, d + 1, x.ndim());
  Tensor out = Tensor::empty(out_shape);
  copy_rows(x.value().data() + s * inner, size * inner, out.data(), (e - s) * inner, outer, (e - s) * inner);
  return make_result(out, {x}, "slice", [in_shape, outer, inner, size, s, e](const Tensor& g) {
    Tensor gx = Tensor::zeros(in_shape);
    copy_rows(g.data(), (e - s) * inner, gx.data() + s * inner, size * inner, outer, (e - s) * inner);
    return std::vector<Tensor>{gx};
  });
}

Var concat(const std::vector<Var>& xs, int dim) {
  LN_CHECK(!xs.empty(), "[concat] needs at least one tensor");
  for (const Var& x : xs) check_f32(x, "concat");
  const Shape& first = xs[0].shape();
  int d = shape::normalize_dim(dim, static_cast<int>(first.size()), "concat");
  Shape out_shape = first;
  out_shape[d] = 0;
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Shape& s = xs[i].shape();
    bool ok = s.size() == first.size();
    for (size_t k = 0; ok && k < s.size(); ++k) ok = static_cast<int>(k) == d || s[k] == first[k];
    LN_CHECK(ok, "[concat] input ", i, " has shape ", shape_str(s), " but input 0 has ", shape_str(first),
             "; all inputs must match except along dim ", d);
    sizes.push_back(s[d]);
    out_shape[d] += s[d];
  }
  const int64_t outer = shape::product(first, 0, d);
  const int64_t inner = shape::product(first, d + 1, static_cast<int>(first.size()));
  const int64_t total = out_shape[d];
  Tensor out = Tensor::empty(out_shape);
  int64_t offset = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    copy_rows(xs[i].value().data(), sizes[i] * inner, out.data() + offset * inner, total * inner, outer,
              sizes[i] * inner);
    offset += sizes[i];
  }
  std::vector<Shape> shapes;
  for (const Var& x : xs) shapes.push_back(x.shape());
  return make_result(out, xs, "concat", [shapes, sizes, outer, inner, total](const Tensor& g) {
    std::vector<Tensor> grads;
    int64_t off = 0;
    for (size_t i = 0; i < shapes.size(); ++i) {
      Tensor gi = Tensor::empty(shapes[i]);
      copy_rows(g.data() + off * inner, total * inner, gi.data(), sizes[i] * inner, outer, sizes[i] * inner);
      grads.push_back(gi);
      off += sizes[i];
    }
    return grads;
  });
}

std::vector<Var> split(const Var& x, int dim, const std::vector<int64_t>& sizes) {
  check_f32(x, "split");
  int d = shape::normalize_dim(dim, x.ndim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) {
    LN_CHECK(s >= 0, "[split] negative piece size ", s);
    total += s;
  }
  LN_CHECK(total == x.shape()[d], "[split] piece sizes add up to ", total, " but dim ", d, " of ",
           shape_str(x.shape()), " has size ", x.shape()[d], "; make them add up to ", x.shape()[d]);
  // Each piece is a slice: its own node, whose vjp scatters into a zero tensor of x's shape.
  std::vector<Var> out;
  int64_t start = 0;
  for (int64_t s : sizes) {
    out.push_back(slice(x, d, start, start + s));
    start += s;
  }
  return out;
}

}  // namespace ln
