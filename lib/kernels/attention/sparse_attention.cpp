// The "fixed" sparse pattern of Child et al. 2019 (the paper's sparse baseline): query n in
// block beta = floor(n / l) sees its own block (causal: up to itself) plus the summary columns,
// the last c positions, of every earlier block (bidirectional: of every other block).
// Own block: the dilated machinery with the single pattern (l, 1). Summary columns: gathered
// once per head into a contiguous buffer (block b's summary keys sit at [b*c, b*c + c)), which
// every query then sees as a prefix (causal) or a prefix and a suffix (bidirectional), the
// suffix as a second pass. The two key sets are disjoint, so the LSE-merge is the softmax over
// their union. XPOS decay of the summary pass is centred on the sequence middle.
#include <algorithm>

#include "core/error.hpp"
#include "kernels/attention/attention_internal.hpp"
#include "kernels/attention/positions.hpp"

namespace ln::attn {

std::vector<AttentionPass> sparse_passes(const AttentionSpec& spec, const AttentionDims& dims,
                                         const AttentionWindow& window, const AttentionBuffers& buf,
                                         bool tables) {
  const int64_t B = dims.batch, H = dims.heads, T = dims.q_len, D = dims.head_dim;
  LN_CHECK(
      window.q_start == 0 && window.k_start == 0 && dims.k_len == T && resolved_seq_len(dims, window) == T &&
          !window.keys_sparsified,
      "[attention] kind sparse supports only the whole sequence (no query/key windows); use kind dilated "
      "for sequence parallelism and the KV cache");
  AttentionSpec local = spec;
  local.kind = AttentionKind::dilated;
  local.segments = {spec.sparse_block};
  local.dilations = {1};
  std::vector<AttentionPass> passes = dilated_passes(local, dims, window, buf, tables);

  const int64_t l = spec.sparse_block, c = spec.sparse_summary;
  const int64_t blocks = (T + l - 1) / l;
  auto count_in_block = [=](int64_t beta) {
    return std::max<int64_t>(0, std::min(l, T - beta * l) - (l - c));
  };
  int64_t S = 0;
  for (int64_t beta = 0; beta < blocks; ++beta) S += count_in_block(beta);
  if (S == 0) return passes;
  const int64_t dp = round_up(D, 16);

  // Gathered summary keys/values and their gradients: (B, H, S, D); positions of summary j.
  std::vector<int64_t> pos(static_cast<size_t>(S));
  for (int64_t beta = 0, j = 0; beta < blocks; ++beta)
    for (int64_t t = 0; t < count_in_block(beta); ++t) pos[static_cast<size_t>(j++)] = beta * l + (l - c) + t;
  std::shared_ptr<std::vector<float>> ks, vs, dks, dvs, qtab, kftab;
  if (tables) {
    const size_t n = static_cast<size_t>(B * H * S * D);
    ks = std::make_shared<std::vector<float>>(n);
    vs = std::make_shared<std::vector<float>>(n);
    for (int64_t bh = 0; bh < B * H; ++bh)
      for (int64_t j = 0; j < S; ++j)
        for (int64_t t = 0; t < D; ++t) {
          (*ks)[static_cast<size_t>((bh * S + j) * D + t)] = buf.k[(bh * T + pos[j]) * D + t];
          (*vs)[static_cast<size_t>((bh * S + j) * D + t)] = buf.v[(bh * T + pos[j]) * D + t];
        }
    if (buf.dk) {
      dks = std::make_shared<std::vector<float>>(n, 0.f);
      dvs = std::make_shared<std::vector<float>>(n, 0.f);
    }
    if (spec.positions == PositionKind::xpos) {
      const double centre = 0.5 * static_cast<double>(T);
      qtab = std::make_shared<std::vector<float>>(static_cast<size_t>(T * dp));
      xpos_decay_table(qtab->data(), T, D, dp, centre, spec.xpos_gamma, spec.xpos_scale_base, false);
      auto full = std::vector<float>(static_cast<size_t>(T * dp));
      xpos_decay_table(full.data(), T, D, dp, centre, spec.xpos_gamma, spec.xpos_scale_base, true);
      kftab = std::make_shared<std::vector<float>>(static_cast<size_t>(S * dp));
      for (int64_t j = 0; j < S; ++j) std::copy_n(full.data() + pos[j] * dp, dp, kftab->data() + j * dp);
    }
  }

  // Pass 1: summaries of earlier blocks, keys [0, beta*c). Pass 2 (bidirectional): summaries
  // of later blocks, keys [beta*c + count(beta), S).
  for (int part = 0; part < (spec.causal ? 1 : 2); ++part) {
    AttentionPass pass;
    for (int64_t bh = 0; bh < B * H; ++bh) {
      SegmentJob job;
      job.mq = T;
      job.nk = S;
      job.ldq = job.ldo = job.ldk = D;
      job.ldl = 1;
      const int64_t qrow = bh * T;
      point_query_rows(job, buf, qrow, D);
      if (ks) {
        job.k = ks->data() + bh * S * D;
        job.v = vs->data() + bh * S * D;
      }
      if (dks) {
        job.dk = dks->data() + bh * S * D;
        job.dv = dvs->data() + bh * S * D;
      }
      if (qtab) {
        job.qf = qtab->data();
        job.ldqf = dp;
        job.kf = kftab->data();
        job.ldkf = dp;
      }
      job.ranges = [=](int64_t i0, int64_t n, int32_t* lo, int32_t* hi) {
        for (int64_t i = 0; i < n; ++i) {
          const int64_t beta = (i0 + i) / l;
          if (part == 0) {
            lo[i] = 0;
            hi[i] = static_cast<int32_t>(beta * c);
          } else {
            lo[i] = static_cast<int32_t>(std::min(S, beta * c + count_in_block(beta)));
            hi[i] = static_cast<int32_t>(S);
          }
        }
      };
      pass.jobs.push_back(std::move(job));
    }
    for (auto& owned : {ks, vs, dks, dvs, qtab, kftab})
      if (owned) pass.owned.push_back(owned);
    if (dks && part == (spec.causal ? 0 : 1)) {
      float* dk = buf.dk;
      float* dv = buf.dv;
      pass.after_backward = [=]() {
        for (int64_t bh = 0; bh < B * H; ++bh)
          for (int64_t j = 0; j < S; ++j)
            for (int64_t t = 0; t < D; ++t) {
              dk[(bh * T + pos[j]) * D + t] += (*dks)[static_cast<size_t>((bh * S + j) * D + t)];
              dv[(bh * T + pos[j]) * D + t] += (*dvs)[static_cast<size_t>((bh * S + j) * D + t)];
            }
      };
    }
    passes.push_back(std::move(pass));
  }
  return passes;
}

}  // namespace ln::attn
