#include "score/loss_stats.hpp"

#include <bit>
#include <cmath>

#include "core/error.hpp"

namespace ln {

void LossStats::add_cluster(int64_t tokens, double loss_sum, double loss_sq_sum) {
  if (tokens <= 0) return;
  const double n = static_cast<double>(tokens);
  tokens_ += tokens;
  clusters_ += 1;
  sum_ += loss_sum;
  sum_sq_ += loss_sq_sum;
  cluster_s2_ += loss_sum * loss_sum;
  cluster_sn_ += loss_sum * n;
  cluster_n2_ += n * n;
}

void LossStats::merge(const LossStats& o) {
  tokens_ += o.tokens_;
  clusters_ += o.clusters_;
  sum_ += o.sum_;
  sum_sq_ += o.sum_sq_;
  cluster_s2_ += o.cluster_s2_;
  cluster_sn_ += o.cluster_sn_;
  cluster_n2_ += o.cluster_n2_;
}

double LossStats::mean_loss() const {
  return tokens_ > 0 ? sum_ / static_cast<double>(tokens_) : std::nan("");
}

double LossStats::mean_loss_se() const {
  if (tokens_ < 2) return std::nan("");
  const double n = static_cast<double>(tokens_);
  const double mean = sum_ / n;
  if (clusters_ >= 2) {
    const double w = static_cast<double>(clusters_);
    // Σ (s_w - L n_w)² expanded; clamped at 0 against rounding when every window agrees.
    const double ss = std::max(0.0, cluster_s2_ - 2 * mean * cluster_sn_ + mean * mean * cluster_n2_);
    return std::sqrt(w / (w - 1) * ss) / n;
  }
  const double var = std::max(0.0, (sum_sq_ - n * mean * mean) / (n - 1));  // sample variance of ℓ
  return std::sqrt(var / n);
}

double LossStats::perplexity() const { return std::exp(mean_loss()); }

double LossStats::perplexity_se() const { return std::exp(mean_loss()) * mean_loss_se(); }

double bits_per_byte(double loss_nats, int64_t bytes) {
  LN_CHECK(bytes > 0, "[eval] bits per byte of an empty text (0 bytes)");
  return loss_nats / std::log(2.0) / static_cast<double>(bytes);
}

int bucket_of_position(int64_t position) {
  LN_CHECK(position >= 1, "[eval] position ", position, " must be >= 1");
  return std::bit_width(static_cast<uint64_t>(position)) - 1;
}
int64_t bucket_first_position(int bucket) { return int64_t{1} << bucket; }
int64_t bucket_last_position(int bucket) { return (int64_t{1} << (bucket + 1)) - 1; }

void PositionBuckets::merge(const PositionBuckets& other) {
  if (buckets.size() < other.buckets.size()) buckets.resize(other.buckets.size());
  for (size_t i = 0; i < other.buckets.size(); ++i) buckets[i].merge(other.buckets[i]);
}

int64_t PositionBuckets::tokens() const {
  int64_t n = 0;
  for (const auto& b : buckets) n += b.tokens();
  return n;
}

}  // namespace ln
