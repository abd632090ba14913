// Dilated attention (DESIGN §2) as passes of segment jobs: one pass per pattern (w, r); one
// job per (batch, head, segment) holding that head's sparse rows s + g(h) + j*r of the
// segment, read in place at stride r (no gather, no scatter: outputs go straight to the rows at
// stride r). Causal jobs see keys j_k <= j_q, which inside one segment is exactly q <= p.
// With attention.dense_queries, a head has r jobs per segment, one per query residue c: the
// queries s + c + j*r against the same keys s + g(h) + j*r; key j_k is at or before query j_q
// when j_k <= j_q (c >= g) or j_k < j_q (c < g), a causal shift of one less.
// Passes run one after the other, so the LSE-merge of the patterns happens in a fixed order.
#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>

#include "core/error.hpp"
#include "kernels/attention/attention_internal.hpp"
#include "kernels/attention/positions.hpp"

namespace ln::attn {

namespace {
// XPOS decay tables of one segment length, shared by every call with the same parameters: a
// decode step (one query) must not rebuild w * D/2 exponentials per pattern per layer.
struct XposTables {
  std::vector<float> q, k;  // (w, dp) each
};
std::shared_ptr<const XposTables> xpos_tables(int64_t w, int64_t D, int64_t dp, double gamma,
                                              double scale_base) {
  using Key = std::tuple<int64_t, int64_t, double, double>;
  static std::mutex mutex;
  static std::map<Key, std::shared_ptr<const XposTables>> cache;
  const Key key{w, D, gamma, scale_base};
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  auto tables = std::make_shared<XposTables>();
  tables->q.resize(static_cast<size_t>(w * dp));
  tables->k.resize(static_cast<size_t>(w * dp));
  // Decay measured from the segment's centre: |offset - centre| <= w/2 keeps every factor
  // inside fp32's range at any N (DESIGN §2).
  xpos_decay_table(tables->q.data(), w, D, dp, 0.5 * static_cast<double>(w), gamma, scale_base, false);
  xpos_decay_table(tables->k.data(), w, D, dp, 0.5 * static_cast<double>(w), gamma, scale_base, true);
  std::lock_guard<std::mutex> lock(mutex);
  if (cache.size() >= 32) cache.clear();  // e.g. kind dense over many lengths: stay bounded
  cache.emplace(key, tables);
  return tables;
}

// The first position >= from of the form base + j*r (j >= 0).
int64_t first_on_grid(int64_t base, int64_t r, int64_t from) {
  if (from <= base) return base;
  return base + (from - base + r - 1) / r * r;
}
}  // namespace

std::vector<AttentionPass> dilated_passes(const AttentionSpec& spec, const AttentionDims& dims,
                                          const AttentionWindow& window, const AttentionBuffers& buf,
                                          bool tables) {
  const int64_t B = dims.batch, H = dims.heads, Tq = dims.q_len, Tk = dims.k_len, D = dims.head_dim;
  const int64_t N = resolved_seq_len(dims, window);
  const int64_t dp = round_up(D, 16);
  const bool xpos = tables && spec.positions == PositionKind::xpos;
  std::vector<AttentionPass> passes;
  if (Tq <= 0 || Tk <= 0) return passes;
  LN_CHECK(
      !(spec.dense_queries && window.keys_sparsified),
      "[attention] attention.dense_queries with sparsified keys (sequence parallelism) is not yet supported");
  for (size_t p = 0; p < spec.segments.size(); ++p) {
    const int64_t w = std::min(spec.segments[p], N), r = spec.dilations[p];
    const float* qtab = nullptr;
    const float* ktab = nullptr;
    std::shared_ptr<const XposTables> tables_alive;
    if (xpos) {
      tables_alive = xpos_tables(w, D, dp, spec.xpos_gamma, spec.xpos_scale_base);
      qtab = tables_alive->q.data();
      ktab = tables_alive->k.data();
    }
    const int64_t seg_first = window.q_start / w, seg_last = (window.q_start + Tq - 1) / w;
    // Dense queries: one pass per query residue, so that the r jobs sharing a head's keys (and
    // their dk, dv rows in the backward) never run at once.
    const int64_t residues = spec.dense_queries ? r : 1;
    for (int64_t c_pass = 0; c_pass < residues; ++c_pass) {
      AttentionPass pass;
      if (tables_alive) pass.keep_alive.push_back(tables_alive);
      for (int64_t b = 0; b < B; ++b) {
        for (int64_t h = 0; h < H; ++h) {
          const int64_t g = head_offset_of(spec.head_offset, h, H, r);
          const int64_t c = spec.dense_queries ? c_pass : g;           // the residue of this job's queries
          const int64_t qh = (b * H + h) * Tq, kh = (b * H + h) * Tk;  // row offsets of this head
          for (int64_t sigma = seg_first; sigma <= seg_last; ++sigma) {
            const int64_t s = sigma * w, e = std::min(s + w, N);
            const int64_t n0 = first_on_grid(s + c, r, std::max(s, window.q_start));
            const int64_t n_end = std::min(e, window.q_start + Tq);
            if (n0 >= n_end) continue;
            SegmentJob job;
            job.mq = (n_end - 1 - n0) / r + 1;
            const int64_t jq0 = (n0 - s - c) / r;
            const int64_t qrow = qh + (n0 - window.q_start);
            int64_t jk0 = 0, krow = 0, ldk = 0, koff = 0;  // koff: in-segment offset of key row 0
            if (!window.keys_sparsified) {
              const int64_t m0 = first_on_grid(s + g, r, std::max(s, window.k_start));
              const int64_t m_end = std::min(e, window.k_start + Tk);
              if (m0 >= m_end) continue;
              job.nk = (m_end - 1 - m0) / r + 1;
              jk0 = (m0 - s - g) / r;
              krow = kh + (m0 - window.k_start);
              ldk = r * D;
              koff = m0 - s;
            } else {
              if (window.k_start != s) continue;  // these keys belong to another segment
              job.nk = std::min(Tk, std::max<int64_t>(0, (e - s - g + r - 1) / r));
              jk0 = 0;
              krow = kh;
              ldk = D;
              koff = g;
            }
            if (spec.causal) {
              // Query j_q sees key j_k when s + g + j_k r <= s + c + j_q r.
              job.causal = true;
              job.causal_shift = jq0 - jk0 - (c < g ? 1 : 0);
              job.nk = std::min(job.nk, job.mq + job.causal_shift);  // keys after the last query: never seen
            }
            if (job.nk <= 0) continue;
            job.ldq = r * D;
            job.ldk = ldk;
            job.ldo = r * D;
            job.ldl = r;
            point_query_rows(job, buf, qrow, D);
            if (buf.k) job.k = buf.k + krow * D;
            if (buf.v) job.v = buf.v + krow * D;
            if (buf.dk) job.dk = buf.dk + krow * D;
            if (buf.dv) job.dv = buf.dv + krow * D;
            if (xpos) {
              job.qf = qtab + (n0 - s) * dp;
              job.ldqf = r * dp;
              job.kf = ktab + koff * dp;
              job.ldkf = r * dp;
            }
            pass.jobs.push_back(std::move(job));
          }
        }
      }
      passes.push_back(std::move(pass));
    }
  }
  return passes;
}

double count_pairs(const std::vector<AttentionPass>& passes) {
  double total = 0;
  std::vector<int32_t> lo(1024), hi(1024);
  for (const AttentionPass& pass : passes) {
    for (const SegmentJob& job : pass.jobs) {
      if (!job.ranges && job.causal) {  // sum_i clamp(i + shift + 1, 0, nk)
        for (int64_t i = 0; i < job.mq; ++i)
          total += static_cast<double>(std::clamp<int64_t>(i + job.causal_shift + 1, 0, job.nk));
        continue;
      }
      if (!job.ranges) {
        total += static_cast<double>(job.mq) * static_cast<double>(job.nk);
        continue;
      }
      for (int64_t i0 = 0; i0 < job.mq; i0 += 1024) {
        const int64_t n = std::min<int64_t>(1024, job.mq - i0);
        job.ranges(i0, n, lo.data(), hi.data());
        for (int64_t i = 0; i < n; ++i) total += std::max(0, hi[i] - lo[i]);
      }
    }
  }
  return total;
}

}  // namespace ln::attn
