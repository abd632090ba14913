// The fused, chunked output head + cross-entropy: front (checks), forward (per chunk: one
// GEMM, then the softmax-xent kernel), vjp (per chunk: the GEMM again, dlogits in place, two
// GEMMs into dh and dW).
#include "ops/head_loss.hpp"

#include <algorithm>
#include <memory>

#include "core/error.hpp"
#include "kernels/matmul_dnnl.hpp"
#include "kernels/reduce.hpp"
#include "kernels/softmax_xent.hpp"
#include "ops/precision.hpp"

namespace ln {

int64_t default_head_chunk(int64_t vocab) {
  constexpr int64_t kBlockFloats = int64_t{16} << 20;  // 64 MB of logits per chunk
  return std::max<int64_t>(64, kBlockFloats / std::max<int64_t>(1, vocab));
}

namespace {

struct HeadDims {
  int64_t n, c, v, counted, chunk;
};

HeadDims check_head(const Tensor& h, const Tensor& w, const std::vector<int32_t>& targets, int32_t ignore,
                    int64_t chunk, const char* op) {
  LN_CHECK(h.defined() && w.defined(), "[", op, "] hidden states and weight must be defined");
  LN_CHECK(h.dtype() == Precision::fp32 && w.dtype() == Precision::fp32, "[", op,
           "] needs f32 hidden states and weight");
  LN_CHECK(w.ndim() == 2, "[", op, "] weight ", shape_str(w.shape()), " must be (V, C)");
  const int64_t c = w.dim(1), v = w.dim(0);
  LN_CHECK(h.ndim() >= 1 && h.dim(-1) == c, "[", op, "] hidden states ", shape_str(h.shape()),
           " do not end in the weight's width ", c, " (weight ", shape_str(w.shape()), ")");
  const int64_t n = c > 0 ? h.numel() / c : 0;
  LN_CHECK(static_cast<int64_t>(targets.size()) == n, "[", op, "] ", n, " hidden rows but ", targets.size(),
           " targets; need one target per row");
  int64_t counted = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t t = targets[static_cast<size_t>(i)];
    if (t == ignore) continue;
    LN_CHECK(t >= 0 && t < v, "[", op, "] target ", t, " at row ", i, " is outside [0, ", v,
             ") and is not ignore_index ", ignore, "; check the vocab size");
    ++counted;
  }
  LN_CHECK(chunk >= 0, "[", op, "] chunk is ", chunk, "; use 0 for the default or a positive row count");
  return {n, c, v, counted, chunk > 0 ? chunk : default_head_chunk(v)};
}

// logits (rows, V) = h[r0 : r0 + rows] (rows, C) · Wᵀ.
void head_logits(Precision prec, const float* h, const float* w, int64_t rows, int64_t c, int64_t v,
                 float* logits) {
  matmul_in(prec, {1, rows, c, v, false, true}, h, w, nullptr, logits);
}

// Forward over every chunk: row_loss, row_lse and row_argmax (any may be null).
void head_forward(Precision prec, const Tensor& h, const Tensor& w, const std::vector<int32_t>& targets,
                  int32_t ignore, const HeadDims& d, float* row_loss, float* row_lse,
                  int32_t* row_best = nullptr) {
  Tensor block = Tensor::empty({std::min(d.chunk, std::max<int64_t>(d.n, 1)), d.v});
  for (int64_t r0 = 0; r0 < d.n; r0 += d.chunk) {
    const int64_t rows = std::min(d.chunk, d.n - r0);
    head_logits(prec, h.data() + r0 * d.c, w.data(), rows, d.c, d.v, block.data());
    softmax_xent_forward(block.data(), targets.data() + r0, rows, d.v, ignore,
                         row_loss ? row_loss + r0 : nullptr, row_lse ? row_lse + r0 : nullptr);
    if (row_best) row_argmax(block.data(), rows, d.v, row_best + r0);
  }
}

}  // namespace

Tensor head_token_losses(const Tensor& h, const Tensor& weight, const std::vector<int32_t>& targets,
                         int32_t ignore_index, int64_t chunk) {
  const HeadDims d = check_head(h, weight, targets, ignore_index, chunk, "head_token_losses");
  Tensor row_loss = Tensor::empty({d.n});
  head_forward(matmul_precision(), h, weight, targets, ignore_index, d, row_loss.data(), nullptr);
  return row_loss;
}

HeadScores head_token_scores(const Tensor& h, const Tensor& weight, const std::vector<int32_t>& targets,
                             int32_t ignore_index, int64_t chunk) {
  const HeadDims d = check_head(h, weight, targets, ignore_index, chunk, "head_token_scores");
  HeadScores out{Tensor::empty({d.n}), std::vector<int32_t>(static_cast<size_t>(d.n))};
  head_forward(matmul_precision(), h, weight, targets, ignore_index, d, out.loss.data(), nullptr,
               out.argmax.data());
  return out;
}

Var head_cross_entropy(const Var& h, const Var& weight, const std::vector<int32_t>& targets,
                       int32_t ignore_index, int64_t chunk) {
  LN_CHECK(h.defined() && weight.defined(), "[head_cross_entropy] h and weight must be defined Vars");
  const HeadDims d =
      check_head(h.value(), weight.value(), targets, ignore_index, chunk, "head_cross_entropy");
  Tensor row_loss = Tensor::empty({d.n});
  Tensor row_lse = Tensor::empty({d.n});
  const Precision prec = matmul_precision();  // ops/precision.hpp; the vjp uses the same
  head_forward(prec, h.value(), weight.value(), targets, ignore_index, d, row_loss.data(), row_lse.data());
  const double total = sum_all(row_loss.data(), d.n);
  const float loss = d.counted > 0 ? static_cast<float>(total / static_cast<double>(d.counted)) : 0.0f;

  Tensor hv = h.value(), wv = weight.value();
  const bool want_h = h.requires_grad(), want_w = weight.requires_grad();
  auto saved = std::make_shared<const std::vector<int32_t>>(targets);
  return make_result(Tensor::scalar(loss), {h, weight}, "head_cross_entropy",
                     [hv, wv, row_lse, saved, d, ignore_index, want_h, want_w, prec](const Tensor& g) {
                       const float scale = d.counted > 0 ? g.item() / static_cast<float>(d.counted) : 0.0f;
                       std::vector<Tensor> grads(2);
                       if (want_h) grads[0] = Tensor::empty(hv.shape());
                       if (want_w) grads[1] = Tensor::zeros(wv.shape());
                       const int64_t block_rows = std::min(d.chunk, std::max<int64_t>(d.n, 1));
                       Tensor block = Tensor::empty({block_rows, d.v});
                       Tensor d_row = Tensor::full({block_rows}, scale);
                       for (int64_t r0 = 0; r0 < d.n; r0 += d.chunk) {
                         const int64_t rows = std::min(d.chunk, d.n - r0);
                         const float* hc = hv.data() + r0 * d.c;
                         head_logits(prec, hc, wv.data(), rows, d.c, d.v, block.data());
                         softmax_xent_backward(block.data(), saved->data() + r0, row_lse.data() + r0,
                                               d_row.data(), rows, d.v, ignore_index, block.data());
                         // dh (rows, C) = dlogits (rows, V) · W (V, C).
                         if (want_h)
                           matmul_in(prec, {1, rows, d.v, d.c}, block.data(), wv.data(), nullptr,
                                     grads[0].data() + r0 * d.c);
                         // dW (V, C) += dlogitsᵀ · h_chunk: trans_a, K = rows.
                         if (want_w)
                           matmul_in(prec, {1, d.v, rows, d.c, true, false}, block.data(), hc, nullptr,
                                     grads[1].data(), /*accumulate=*/true);
                       }
                       return grads;
                     });
}

}  // namespace ln
