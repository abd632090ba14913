#include "parallel/comm_model.hpp"

#include <algorithm>

namespace ln::parallel {

RankTraffic modelled_traffic(const AttentionSpec& spec, int64_t B, int64_t H, int64_t D, int64_t N, int64_t P,
                             int64_t R) {
  RankTraffic t;
  const int64_t l = N / P;
  for (size_t p = 0; p < spec.segments.size(); ++p) {
    const int64_t w = std::min(spec.segments[p], N), r = spec.dilations[p];
    if (w <= l) continue;  // local
    const int64_t first = R / (w / l) * (w / l), G = std::min(first + w / l, P) - first, j = R - first;
    const int64_t piece = 2 * B * H * (l / r) * D * 4;  // k and v, fp32
    int64_t sent = 0, recv = 0, messages_sent = 0, messages_recv = 0;
    for (int64_t d = 1; d < G; d *= 2) {  // round k, d = 2^k
      ++t.rounds;
      if (spec.causal) {
        if (j + d < G) sent += std::min(d, j + 1), ++messages_sent;
        if (j - d >= 0) ++messages_recv;
      } else {
        ++messages_sent, ++messages_recv;
      }
    }
    recv = spec.causal ? j : G - 1;
    if (!spec.causal) sent = G - 1;
    t.fwd_recv += recv * piece;
    t.fwd_sent += sent * piece;
    t.bwd_sent += recv * piece;  // the gradients go back the way the keys came
    t.bwd_recv += sent * piece;
    t.fwd_messages_sent += messages_sent;
    t.fwd_messages_recv += messages_recv;
  }
  return t;
}

double modelled_forward_flops(const AttentionSpec& spec, int64_t B, int64_t H, int64_t D, int64_t N,
                              int64_t P) {
  double pairs_per_query = 0;
  for (size_t p = 0; p < spec.segments.size(); ++p) {
    const double w = static_cast<double>(std::min(spec.segments[p], N)),
                 r = static_cast<double>(spec.dilations[p]);
    pairs_per_query += w / (2 * r * r) * (spec.causal ? 1.0 : 2.0);
  }
  return static_cast<double>(B * H) * static_cast<double>(N / P) * pairs_per_query * 4.0 *
         static_cast<double>(D);
}

AttentionSpec constant_ratio_patterns(int64_t N, int64_t base) {
  AttentionSpec s;
  s.kind = AttentionKind::dilated;
  s.segments = {base, 4 * base, std::max(N, 4 * base)};
  s.dilations = {1, 4, std::max<int64_t>(N / base, 4)};
  s.positions = PositionKind::none;
  return s;
}

}  // namespace ln::parallel
