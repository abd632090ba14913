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
    const int64_t G = w / l, first = R / G * G, end = std::min(first + G, P);
    const int64_t piece = 2 * B * H * (l / r) * D * 4;               // k and v, fp32
    const int64_t from = spec.causal ? R - first : end - first - 1;  // pieces received
    const int64_t to = spec.causal ? end - 1 - R : end - first - 1;  // ranks my piece goes to
    t.fwd_recv += from * piece;
    t.fwd_sent += to * piece;
    t.bwd_sent += from * piece;  // the gradients go back the way the keys came
    t.bwd_recv += to * piece;
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
