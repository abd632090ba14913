#include "kernels/attention/positions.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <vector>

#include "core/parallel_for.hpp"
#include "core/step_profile.hpp"

namespace ln {

namespace {

// cos and sin of (pos0 + t) * inv_freq[j], interleaved, for times [t0, t1) of one call.
void fill_angles(const std::vector<double>& inv_freq, int64_t pos0, int64_t t0, int64_t t1, float* cs) {
  const int64_t half = static_cast<int64_t>(inv_freq.size());
  for (int64_t t = t0; t < t1; ++t) {
    const double pos = static_cast<double>(pos0 + t);
    for (int64_t j = 0; j < half; ++j) {
      const double angle = pos * inv_freq[j];
      cs[((t - t0) * half + j) * 2] = static_cast<float>(std::cos(angle));
      cs[((t - t0) * half + j) * 2 + 1] = static_cast<float>(std::sin(angle));
    }
  }
}

// A training step rotates the same positions four times per layer (q and k, forward and vjp),
// so the last call's whole table is kept and reused when it is small enough (<= 64 MB): the
// same doubles give the same floats, so reuse changes no bit. Larger tables (a 1M-token
// sequence with wide heads) are made block by block as they are used, as before.
struct AngleTable {
  int64_t pos0 = 0, T = 0, D = 0;
  float base = 0;
  std::vector<float> cs;  // (T, D/2, 2)
};
std::atomic<int64_t> g_max_cached_floats{int64_t{16} << 20};
std::mutex g_table_mutex;
std::shared_ptr<const AngleTable> g_last_table;

std::shared_ptr<const AngleTable> cached_angles(const std::vector<double>& inv_freq, int64_t pos0, int64_t T,
                                                int64_t D, float base, int64_t block) {
  {
    std::lock_guard<std::mutex> lock(g_table_mutex);
    const AngleTable* t = g_last_table.get();
    if (t && t->pos0 == pos0 && t->T == T && t->D == D && t->base == base) return g_last_table;
  }
  auto table = std::make_shared<AngleTable>();
  table->pos0 = pos0, table->T = T, table->D = D, table->base = base;
  const int64_t half = D / 2;
  table->cs.resize(static_cast<size_t>(T * half * 2));
  ln::parallel_for(int64_t{0}, (T + block - 1) / block, [&](int64_t blk) {
    const int64_t t0 = blk * block, t1 = std::min(T, t0 + block);
    fill_angles(inv_freq, pos0, t0, t1, table->cs.data() + t0 * half * 2);
  });
  std::lock_guard<std::mutex> lock(g_table_mutex);
  g_last_table = table;
  return table;
}

}  // namespace

void set_rotation_table_limit(int64_t floats) {
  g_max_cached_floats.store(floats, std::memory_order_relaxed);
}

void rotate_pairs(const float* x, float* y, int64_t rows, int64_t T, int64_t D, int64_t pos0, float base,
                  bool inverse) {
  const ProfileScope profile(ProfileCategory::elementwise);
  const int64_t half = D / 2;
  std::vector<double> inv_freq(static_cast<size_t>(half));
  for (int64_t j = 0; j < half; ++j) inv_freq[j] = std::pow(static_cast<double>(base), -2.0 * j / D);
  // One (cos, sin) table per block of times, shared by all rows (heads) of the block.
  constexpr int64_t kBlock = 64;
  std::shared_ptr<const AngleTable> whole;
  if (T * half * 2 <= g_max_cached_floats.load(std::memory_order_relaxed))
    whole = cached_angles(inv_freq, pos0, T, D, base, kBlock);
  const float sign = inverse ? -1.f : 1.f;
  ln::parallel_for(int64_t{0}, (T + kBlock - 1) / kBlock, [&](int64_t blk) {
    const int64_t t0 = blk * kBlock, t1 = std::min(T, t0 + kBlock);
    std::vector<float> own;
    const float* cs = nullptr;
    if (whole) {
      cs = whole->cs.data() + t0 * half * 2;
    } else {
      own.resize(static_cast<size_t>((t1 - t0) * half * 2));
      fill_angles(inv_freq, pos0, t0, t1, own.data());
      cs = own.data();
    }
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t t = t0; t < t1; ++t) {
        const float* in = x + (r * T + t) * D;
        float* out = y + (r * T + t) * D;
        const float* c = cs + (t - t0) * half * 2;
        for (int64_t j = 0; j < half; ++j) {
          const float a = in[2 * j], b = in[2 * j + 1], co = c[2 * j], si = sign * c[2 * j + 1];
          out[2 * j] = a * co - b * si;
          out[2 * j + 1] = b * co + a * si;
        }
        if (D % 2 == 1 && out != in) out[D - 1] = in[D - 1];
      }
    }
  });
}

double xpos_zeta(int64_t j, int64_t D, double gamma) {
  return (2.0 * static_cast<double>(j) + gamma * static_cast<double>(D)) /
         ((1.0 + gamma) * static_cast<double>(D));
}

void xpos_decay_table(float* table, int64_t n, int64_t D, int64_t dp, double centre, double gamma,
                      double scale_base, bool keys) {
  std::vector<double> log_zeta(static_cast<size_t>(D / 2));
  for (int64_t j = 0; j < D / 2; ++j) log_zeta[j] = std::log(xpos_zeta(j, D, gamma));
  const double sign = keys ? -1.0 : 1.0;
  ln::parallel_for(int64_t{0}, n, [&](int64_t o) {
    const double e = sign * (static_cast<double>(o) - centre) / scale_base;
    float* row = table + o * dp;
    for (int64_t t = 0; t < dp; ++t)
      row[t] = t < 2 * (D / 2) ? static_cast<float>(std::exp(e * log_zeta[t / 2])) : 0.f;
  });
}

}  // namespace ln
