#include "parallel/gradient_sum.hpp"

#include <mpi.h>

#include <cstring>

#include "core/error.hpp"
#include "core/steady_clock.hpp"
#include "core/step_profile.hpp"
#include "parallel/watchdog.hpp"

namespace ln::parallel {

struct GradientSum::Bucket {
  std::vector<Tensor> grads;
  std::vector<float> data;
  MPI_Request request = MPI_REQUEST_NULL;
  bool launched = false;
};

GradientSum::GradientSum(ProcessGrid& grid, int64_t bucket_floats)
    : grid_(grid), bucket_floats_(bucket_floats) {}

GradientSum::~GradientSum() {
  const ProfileScope profile(ProfileCategory::communication);
  for (Bucket& b : buckets_)
    if (b.launched && b.request != MPI_REQUEST_NULL) {
      WaitScope wait("the gradient all-reduce");
      MPI_Wait(&b.request, MPI_STATUS_IGNORE);
    }
}

void GradientSum::ready(const Tensor& grad) {
  if (grid_.world_size() == 1) return;
  const ProfileScope profile(ProfileCategory::communication);
  if (buckets_.empty() || buckets_.back().launched) buckets_.emplace_back();
  Bucket& b = buckets_.back();
  const size_t at = b.data.size();
  b.data.resize(at + static_cast<size_t>(grad.numel()));
  std::memcpy(b.data.data() + at, grad.data(), grad.numel() * sizeof(float));
  b.grads.push_back(grad);
  if (static_cast<int64_t>(b.data.size()) >= bucket_floats_) launch();
  poll();
}

void GradientSum::launch() {
  const ProfileScope profile(ProfileCategory::communication);
  Bucket& b = buckets_.back();
  if (b.launched || b.data.empty()) return;
  const double t0 = steady_seconds();
  LN_CHECK(b.data.size() < (size_t{1} << 31), "[parallel] a gradient bucket of ", b.data.size(),
           " floats is too large for one MPI call");
  LN_CHECK(MPI_Iallreduce(MPI_IN_PLACE, b.data.data(), static_cast<int>(b.data.size()), MPI_FLOAT, MPI_SUM,
                          MPI_COMM_WORLD, &b.request) == MPI_SUCCESS,
           "[parallel] gradient all-reduce failed to start");
  b.launched = true;
  CommStats& stats = grid_.gradient_stats();
  stats.bytes_sent += static_cast<int64_t>(b.data.size()) * 4;
  stats.bytes_recv += static_cast<int64_t>(b.data.size()) * 4;
  ++stats.messages_sent, ++stats.messages_recv;
  if (first_launch_ == 0) first_launch_ = t0;
  seconds_ += steady_seconds() - t0;
}

void GradientSum::poll() {
  for (Bucket& b : buckets_) {
    if (!b.launched || b.request == MPI_REQUEST_NULL) continue;
    int done = 0;
    MPI_Test(&b.request, &done, MPI_STATUS_IGNORE);
  }
}

void GradientSum::finish() {
  if (grid_.world_size() == 1) return;
  const ProfileScope profile(ProfileCategory::communication);
  if (!buckets_.empty()) launch();
  const double t0 = steady_seconds();
  for (Bucket& b : buckets_) {
    if (b.request != MPI_REQUEST_NULL) {
      WaitScope wait("the gradient all-reduce");
      LN_CHECK(MPI_Wait(&b.request, MPI_STATUS_IGNORE) == MPI_SUCCESS,
               "[parallel] gradient all-reduce failed");
    }
    size_t at = 0;
    for (Tensor& g : b.grads) {
      std::memcpy(g.data(), b.data.data() + at, g.numel() * sizeof(float));
      at += static_cast<size_t>(g.numel());
    }
  }
  buckets_.clear();
  const double t1 = steady_seconds();
  grid_.gradient_stats().seconds += seconds_ + (t1 - t0);
  if (first_launch_ > 0) grid_.gradient_stats().add_flight(first_launch_, t1);
  seconds_ = 0;
  first_launch_ = 0;
}

}  // namespace ln::parallel
