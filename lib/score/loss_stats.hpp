#pragma once
// Accumulating per-token losses into a mean, a perplexity with a standard error, and bits per
// byte; and the same per position bucket (loss by position inside the window).
//
// The standard error. Tokens of one window are not independent (they share their history, and
// a hard passage makes many of them hard), so the naive sd/sqrt(n) of the per-token losses
// is too small. We treat each window's scored tokens as one cluster and use the ratio
// estimator's linearised (cluster-robust) variance: with window sums s_w over n_w tokens,
// W windows and mean L = Σ s_w / Σ n_w,
//
//   Var(L) ≈ W / (W - 1) · Σ_w (s_w - L n_w)² / (Σ_w n_w)²
//
// which needs only the running sums Σ s_w², Σ s_w n_w and Σ n_w² (expanding the square).
// With fewer than two windows there is nothing to compare, and we fall back to the
// per-token estimate sd(ℓ) / sqrt(n) (reported as se_method "tokens").
// Perplexity is exp(L); its standard error is the delta method's exp(L) · SE(L).
#include <cstdint>
#include <string>
#include <vector>

namespace ln {

class LossStats {
 public:
  // One window's (cluster's) scored tokens: count, Σ loss, Σ loss². Empty clusters are ignored.
  void add_cluster(int64_t tokens, double loss_sum, double loss_sq_sum);
  void merge(const LossStats& other);

  int64_t tokens() const { return tokens_; }
  int64_t clusters() const { return clusters_; }
  double loss_sum() const { return sum_; }  // total loss in nats
  double mean_loss() const;                 // NaN when empty
  double mean_loss_se() const;              // see above; NaN when < 2 tokens
  const char* se_method() const { return clusters_ >= 2 ? "windows" : "tokens"; }
  double perplexity() const;
  double perplexity_se() const;

 private:
  int64_t tokens_ = 0, clusters_ = 0;
  double sum_ = 0, sum_sq_ = 0;                              // over tokens
  double cluster_s2_ = 0, cluster_sn_ = 0, cluster_n2_ = 0;  // Σ s_w², Σ s_w n_w, Σ n_w²
};

// Total loss in nats over `bytes` of UTF-8 text, in bits per byte: loss / ln 2 / bytes.
double bits_per_byte(double loss_nats, int64_t bytes);

// Log-spaced buckets of the position (1-based history length) of a prediction inside its
// window: bucket k holds positions [2^k, 2^(k+1) - 1], i.e. 1, 2-3, 4-7, 8-15, ...
int bucket_of_position(int64_t position);
int64_t bucket_first_position(int bucket);
int64_t bucket_last_position(int bucket);  // 2^(k+1) - 1

struct PositionBuckets {
  std::vector<LossStats> buckets;  // index = bucket_of_position; grows as needed
  void merge(const PositionBuckets& other);
  int64_t tokens() const;
};

}  // namespace ln
