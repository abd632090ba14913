#include <doctest/doctest.h>

#include <cmath>

#include "score/loss_stats.hpp"

using namespace ln;

TEST_CASE("loss stats: mean, cluster standard error and perplexity by hand") {
  // Windows: {1, 3} (n 2, s 4), {2} (n 1, s 2), {6, 6, 6} (n 3, s 18). Mean = 24 / 6 = 4.
  LossStats s;
  s.add_cluster(2, 4, 1 + 9);
  s.add_cluster(1, 2, 4);
  s.add_cluster(3, 18, 108);
  s.add_cluster(0, 0, 0);  // an empty window is no cluster
  CHECK(s.tokens() == 6);
  CHECK(s.clusters() == 3);
  CHECK(s.mean_loss() == doctest::Approx(4.0));
  // Σ (s_w - L n_w)² = (4 - 8)² + (2 - 4)² + (18 - 12)² = 16 + 4 + 36 = 56;
  // Var = 3/2 · 56 / 6² = 84 / 36; SE = sqrt(7/3).
  CHECK(std::string(s.se_method()) == "windows");
  CHECK(s.mean_loss_se() == doctest::Approx(std::sqrt(84.0 / 36.0)));
  CHECK(s.perplexity() == doctest::Approx(std::exp(4.0)));
  CHECK(s.perplexity_se() == doctest::Approx(std::exp(4.0) * std::sqrt(84.0 / 36.0)));

  // merge = adding the same clusters to one accumulator
  LossStats a, b;
  a.add_cluster(2, 4, 10);
  b.add_cluster(1, 2, 4);
  b.add_cluster(3, 18, 108);
  a.merge(b);
  CHECK(a.tokens() == 6);
  CHECK(a.mean_loss_se() == doctest::Approx(s.mean_loss_se()));
}

TEST_CASE("loss stats: one window falls back to the per-token standard error") {
  LossStats s;
  s.add_cluster(4, 1 + 2 + 3 + 4, 1 + 4 + 9 + 16);  // losses 1, 2, 3, 4
  CHECK(std::string(s.se_method()) == "tokens");
  // sample variance 5/3, SE = sqrt(5/3 / 4)
  CHECK(s.mean_loss_se() == doctest::Approx(std::sqrt(5.0 / 12.0)));
  LossStats empty;
  CHECK(std::isnan(empty.mean_loss()));
  CHECK(std::isnan(empty.mean_loss_se()));
}

TEST_CASE("bits per byte by hand") {
  // 100 tokens at ln 4 nats each = 200 bits over 50 bytes = 4 bits per byte.
  CHECK(bits_per_byte(100 * std::log(4.0), 50) == doctest::Approx(4.0));
  CHECK(bits_per_byte(std::log(2.0) * 8, 1) == doctest::Approx(8.0));
}

TEST_CASE("position buckets are log-spaced: 1, 2-3, 4-7, ...") {
  CHECK(bucket_of_position(1) == 0);
  CHECK(bucket_of_position(2) == 1);
  CHECK(bucket_of_position(3) == 1);
  CHECK(bucket_of_position(4) == 2);
  CHECK(bucket_of_position(7) == 2);
  CHECK(bucket_of_position(8) == 3);
  CHECK(bucket_of_position(65536) == 16);
  for (int k = 0; k < 20; ++k) {
    CHECK(bucket_of_position(bucket_first_position(k)) == k);
    CHECK(bucket_of_position(bucket_last_position(k)) == k);
    CHECK(bucket_last_position(k) + 1 == bucket_first_position(k + 1));
  }
}
