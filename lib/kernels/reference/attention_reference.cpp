#include "kernels/reference/attention_reference.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "kernels/attention/positions.hpp"

namespace ln::reference {

namespace {
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

int64_t seq_len_of(const AttentionDims& dims, const AttentionWindow& window) {
  if (window.seq_len > 0) return window.seq_len;
  return std::max(window.q_start + dims.q_len, window.k_start + dims.k_len);
}

double scale_of(const AttentionDims& dims) {
  return dims.scale != 0.f ? static_cast<double>(dims.scale)
                           : 1.0 / std::sqrt(static_cast<double>(dims.head_dim));
}

// d score / d (q_t k_t) for query n, key m: the XPOS decay of dimension t (1 without XPOS).
double decay(const AttentionSpec& spec, int64_t D, int64_t t, int64_t n, int64_t m) {
  if (spec.positions != PositionKind::xpos) return 1.0;
  return std::pow(xpos_zeta(t / 2, D, spec.xpos_gamma), static_cast<double>(n - m) / spec.xpos_scale_base);
}

double score(const AttentionSpec& spec, int64_t D, double scale, const double* q, const double* k, int64_t n,
             int64_t m) {
  double s = 0;
  for (int64_t t = 0; t < D; ++t) s += decay(spec, D, t, n, m) * q[t] * k[t];
  return scale * s;
}
}  // namespace

int key_multiplicity(const AttentionSpec& spec, int64_t heads, int64_t h, int64_t n, int64_t m, int64_t N) {
  if (spec.causal && m > n) return 0;
  switch (spec.kind) {
    case AttentionKind::dense:
      return 1;
    case AttentionKind::sparse: {
      const int64_t l = spec.sparse_block, c = spec.sparse_summary;
      if (n / l == m / l) return 1;
      return m % l >= l - c ? 1 : 0;  // a summary column of another (causal: earlier) block
    }
    case AttentionKind::dilated: {
      int count = 0;
      for (size_t p = 0; p < spec.segments.size(); ++p) {
        const int64_t w = std::min(spec.segments[p], N), r = spec.dilations[p];
        const int64_t g = head_offset_of(spec.head_offset, h, heads, r);
        if (n / w != m / w) continue;
        const int64_t s = n / w * w;
        if ((spec.dense_queries || (n - s) % r == g) && (m - s) % r == g) ++count;
      }
      return count;
    }
  }
  return 0;
}

int64_t key_position(const AttentionSpec& spec, const AttentionDims& dims, const AttentionWindow& window,
                     int64_t h, int64_t j) {
  if (!window.keys_sparsified) return window.k_start + j;
  const int64_t r = spec.dilations[0];
  const int64_t w = std::min(spec.segments[0], seq_len_of(dims, window));
  const int64_t pos = window.k_start + head_offset_of(spec.head_offset, h, dims.heads, r) + j * r;
  return pos < window.k_start + w ? pos : -1;  // -1: past the segment, ignored
}

void attention_forward_multiset(const AttentionSpec& spec, const AttentionDims& dims,
                                const AttentionWindow& window, const double* q, const double* k,
                                const double* v, double* o, double* lse) {
  const int64_t B = dims.batch, H = dims.heads, Tq = dims.q_len, Tk = dims.k_len, D = dims.head_dim;
  const int64_t N = seq_len_of(dims, window);
  const double scale = scale_of(dims);
  std::vector<double> s(static_cast<size_t>(Tk));
  std::vector<int> mult(static_cast<size_t>(Tk));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      const int64_t qh = (b * H + h) * Tq, kh = (b * H + h) * Tk;
      for (int64_t i = 0; i < Tq; ++i) {
        const int64_t n = window.q_start + i;
        double mx = kNegInf;
        for (int64_t j = 0; j < Tk; ++j) {
          const int64_t m = key_position(spec, dims, window, h, j);
          mult[j] = m < 0 ? 0 : key_multiplicity(spec, H, h, n, m, N);
          if (mult[j] == 0) continue;
          s[j] = score(spec, D, scale, q + (qh + i) * D, k + (kh + j) * D, n, m);
          mx = std::max(mx, s[j]);
        }
        double* out = o + (qh + i) * D;
        for (int64_t t = 0; t < D; ++t) out[t] = 0;
        if (mx == kNegInf) {
          lse[qh + i] = kNegInf;
          continue;
        }
        double z = 0;
        for (int64_t j = 0; j < Tk; ++j) {
          if (mult[j] == 0) continue;
          const double p = mult[j] * std::exp(s[j] - mx);
          z += p;
          for (int64_t t = 0; t < D; ++t) out[t] += p * v[(kh + j) * D + t];
        }
        for (int64_t t = 0; t < D; ++t) out[t] /= z;
        lse[qh + i] = mx + std::log(z);
      }
    }
}

void attention_backward_multiset(const AttentionSpec& spec, const AttentionDims& dims,
                                 const AttentionWindow& window, const double* q, const double* k,
                                 const double* v, const double* dout, double* dq, double* dk, double* dv) {
  const int64_t B = dims.batch, H = dims.heads, Tq = dims.q_len, Tk = dims.k_len, D = dims.head_dim;
  const int64_t N = seq_len_of(dims, window);
  const double scale = scale_of(dims);
  std::vector<double> o(static_cast<size_t>(B * H * Tq * D)), lse(static_cast<size_t>(B * H * Tq));
  attention_forward_multiset(spec, dims, window, q, k, v, o.data(), lse.data());
  for (int64_t i = 0; i < B * H * Tq * D; ++i) dq[i] = 0;
  for (int64_t i = 0; i < B * H * Tk * D; ++i) dk[i] = dv[i] = 0;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      const int64_t qh = (b * H + h) * Tq, kh = (b * H + h) * Tk;
      for (int64_t i = 0; i < Tq; ++i) {
        const int64_t n = window.q_start + i;
        const double L = lse[qh + i];
        if (L == kNegInf) continue;
        const double* qi = q + (qh + i) * D;
        const double* doi = dout + (qh + i) * D;
        double Di = 0;
        for (int64_t t = 0; t < D; ++t) Di += doi[t] * o[(qh + i) * D + t];
        for (int64_t j = 0; j < Tk; ++j) {
          const int64_t m = key_position(spec, dims, window, h, j);
          const int mult = m < 0 ? 0 : key_multiplicity(spec, H, h, n, m, N);
          const double* kj = k + (kh + j) * D;
          const double* vj = v + (kh + j) * D;
          for (int c = 0; c < mult; ++c) {  // each (pattern, key) pair of the multiset
            const double P = std::exp(score(spec, D, scale, qi, kj, n, m) - L);
            double dov = 0;
            for (int64_t t = 0; t < D; ++t) dov += doi[t] * vj[t];
            const double dS = P * (dov - Di);
            for (int64_t t = 0; t < D; ++t) {
              const double f = decay(spec, D, t, n, m);
              dq[(qh + i) * D + t] += scale * dS * f * kj[t];
              dk[(kh + j) * D + t] += scale * dS * f * qi[t];
              dv[(kh + j) * D + t] += P * doi[t];
            }
          }
        }
      }
    }
}

void dilated_attention_forward_closed_form(const AttentionSpec& spec, const AttentionDims& dims,
                                           const double* q, const double* k, const double* v, double* o,
                                           double* lse) {
  const int64_t B = dims.batch, H = dims.heads, N = dims.q_len, D = dims.head_dim;
  const double scale = scale_of(dims);
  const size_t P = spec.segments.size();
  // Per pattern p: O_p and L_p of every row (L_p = -inf where the row takes no part).
  std::vector<std::vector<double>> Op(P, std::vector<double>(static_cast<size_t>(B * H * N * D), 0.0));
  std::vector<std::vector<double>> Lp(P, std::vector<double>(static_cast<size_t>(B * H * N), kNegInf));
  for (size_t p = 0; p < P; ++p) {
    const int64_t w = std::min(spec.segments[p], N), r = spec.dilations[p];
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < H; ++h) {
        const int64_t g = head_offset_of(spec.head_offset, h, H, r);
        const int64_t base = (b * H + h) * N;
        for (int64_t s = 0; s < N; s += w) {
          // Gather: the sparse rows of this segment are s + g, s + g + r, ... < min(s + w, N).
          std::vector<int64_t> rows;
          for (int64_t x = s + g; x < std::min(s + w, N); x += r) rows.push_back(x);
          const int64_t m = static_cast<int64_t>(rows.size());
          // Attend: sparse query a sees sparse keys c <= a (causal) or all.
          for (int64_t a = 0; a < m; ++a) {
            const int64_t n = rows[a];
            const int64_t keys = spec.causal ? a + 1 : m;
            std::vector<double> sc(static_cast<size_t>(keys));
            double mx = kNegInf;
            for (int64_t c = 0; c < keys; ++c) {
              sc[c] = score(spec, D, scale, q + (base + n) * D, k + (base + rows[c]) * D, n, rows[c]);
              mx = std::max(mx, sc[c]);
            }
            double z = 0;
            // Scatter: row n of O_p (its own position, stride r inside the segment).
            double* out = Op[p].data() + (base + n) * D;
            for (int64_t c = 0; c < keys; ++c) {
              const double e = std::exp(sc[c] - mx);
              z += e;
              for (int64_t t = 0; t < D; ++t) out[t] += e * v[(base + rows[c]) * D + t];
            }
            for (int64_t t = 0; t < D; ++t) out[t] /= z;
            Lp[p][base + n] = mx + std::log(z);
          }
        }
      }
  }
  // Merge: L = logsumexp_p L_p, O = sum_p exp(L_p - L) O_p.
  for (int64_t row = 0; row < B * H * N; ++row) {
    double mx = kNegInf;
    for (size_t p = 0; p < P; ++p) mx = std::max(mx, Lp[p][row]);
    for (int64_t t = 0; t < D; ++t) o[row * D + t] = 0;
    if (mx == kNegInf) {
      lse[row] = kNegInf;
      continue;
    }
    double z = 0;
    for (size_t p = 0; p < P; ++p) z += std::exp(Lp[p][row] - mx);
    const double L = mx + std::log(z);
    lse[row] = L;
    for (size_t p = 0; p < P; ++p) {
      if (Lp[p][row] == kNegInf) continue;
      const double wgt = std::exp(Lp[p][row] - L);
      for (int64_t t = 0; t < D; ++t) o[row * D + t] += wgt * Op[p][row * D + t];
    }
  }
}

void rotate_pairs_reference(double* x, int64_t rows, int64_t T, int64_t D, int64_t pos0, double base,
                            bool inverse) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t j = 0; j < D / 2; ++j) {
        const double angle =
            static_cast<double>(pos0 + t) * std::pow(base, -2.0 * static_cast<double>(j) / D);
        const double c = std::cos(angle), s = inverse ? -std::sin(angle) : std::sin(angle);
        double* p = x + (r * T + t) * D + 2 * j;
        const double a = p[0], b = p[1];
        p[0] = a * c - b * s;
        p[1] = b * c + a * s;
      }
}

}  // namespace ln::reference
