#include "parallel/process_grid.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>

#include "core/error.hpp"
#include "core/steady_clock.hpp"
#include "core/step_profile.hpp"
#include "parallel/mpi_exchange.hpp"
#include "parallel/mpi_session.hpp"
#include "parallel/watchdog.hpp"

namespace ln::parallel {

namespace {
int g_symmetric = 0;
bool g_last_symmetric = false;  // an error left a SymmetricErrorScope

}  // namespace

SymmetricErrorScope::SymmetricErrorScope() : exceptions_(std::uncaught_exceptions()) { ++g_symmetric; }
SymmetricErrorScope::~SymmetricErrorScope() {
  --g_symmetric;
  if (std::uncaught_exceptions() > exceptions_) g_last_symmetric = true;  // unwinding an error raised inside
}
bool errors_are_symmetric() { return g_symmetric > 0 || g_last_symmetric; }

CommStats& CommStats::operator+=(const CommStats& o) {
  bytes_sent += o.bytes_sent, bytes_recv += o.bytes_recv;
  messages_sent += o.messages_sent, messages_recv += o.messages_recv;
  seconds += o.seconds, flight_seconds += o.flight_seconds;
  return *this;
}

CommStats CommStats::operator-(const CommStats& o) const {
  CommStats d = *this;
  d.bytes_sent -= o.bytes_sent, d.bytes_recv -= o.bytes_recv;
  d.messages_sent -= o.messages_sent, d.messages_recv -= o.messages_recv;
  d.seconds -= o.seconds, d.flight_seconds -= o.flight_seconds;
  return d;
}

double FlightClock::count(double start, double done) {
  const double counted = std::max(0.0, done - std::max(start, until_));
  until_ = std::max(until_, done);
  return counted;
}

void CommStats::add_flight(double start, double done) {
  static std::mutex mutex;
  static FlightClock clock;  // every exchange of this process
  std::lock_guard lock(mutex);
  flight_seconds += clock.count(start, done);
}

struct ProcessGrid::Comms {
  MPI_Comm sequence = MPI_COMM_NULL;
  std::unique_ptr<MpiSequenceExchange> exchange;
  CommStats gradient_stats;
  std::vector<float> bucket;
};

ProcessGrid::ProcessGrid(int64_t sequence, double timeout_s)
    : sequence_(sequence), comms_(std::make_unique<Comms>()) {
  SymmetricErrorScope symmetric;
  if (timeout_s > 0) set_wait_timeout(timeout_s);
  LN_CHECK(sequence >= 1, "parallel.sequence is ", sequence, "; use 1 or more ranks per sequence");
  world_rank_ = parallel::world_rank();
  world_size_ = parallel::world_size();
  LN_CHECK(sequence == 1 || mpi_active(), "parallel.sequence = ", sequence,
           " needs a launch by mpirun, but longnet runs as one process; use mpirun -np ", sequence,
           " longnet ... (or parallel.sequence: 1)");
  LN_CHECK(world_size_ % sequence == 0, "the world of ", world_size_,
           " MPI ranks is not a multiple of parallel.sequence (", sequence,
           "); launch mpirun -np with a multiple of ", sequence, " or change parallel.sequence");
  if (mpi_active()) {
    WaitScope wait("every rank to form the process grid (MPI_Comm_split)");
    MPI_Comm_split(MPI_COMM_WORLD, static_cast<int>(data_rank()), static_cast<int>(sequence_rank()),
                   &comms_->sequence);
  }
  comms_->exchange = std::make_unique<MpiSequenceExchange>(comms_->sequence, sequence_rank(), sequence_);
}

ProcessGrid::~ProcessGrid() {
  comms_->exchange.reset();
  if (comms_->sequence != MPI_COMM_NULL && mpi_active()) MPI_Comm_free(&comms_->sequence);
}

SequenceExchange& ProcessGrid::sequence() { return *comms_->exchange; }
CommStats& ProcessGrid::sequence_stats() { return comms_->exchange->stats(); }
CommStats& ProcessGrid::gradient_stats() { return comms_->gradient_stats; }

void ProcessGrid::sum_world(double* values, int64_t n) {
  if (world_size_ == 1) return;
  const ProfileScope profile(ProfileCategory::communication);
  const double t0 = steady_seconds();
  {
    WaitScope wait("a sum over every rank (the loss, a stop flag)");
    LN_CHECK(MPI_Allreduce(MPI_IN_PLACE, values, static_cast<int>(n), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD) ==
                 MPI_SUCCESS,
             "[parallel] MPI_Allreduce of ", n, " values failed");
  }
  const double t1 = steady_seconds();
  comms_->gradient_stats.seconds += t1 - t0;
  comms_->gradient_stats.add_flight(t0, t1);
  ++comms_->gradient_stats.messages_sent, ++comms_->gradient_stats.messages_recv;
  comms_->gradient_stats.bytes_sent += n * 8;
  comms_->gradient_stats.bytes_recv += n * 8;
}

void ProcessGrid::max_world(double* values, int64_t n) {
  if (world_size_ == 1) return;
  const ProfileScope profile(ProfileCategory::communication);
  WaitScope wait("a maximum over every rank (a report)");
  LN_CHECK(MPI_Allreduce(MPI_IN_PLACE, values, static_cast<int>(n), MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD) ==
               MPI_SUCCESS,
           "[parallel] MPI_Allreduce (max) of ", n, " values failed");
}

void ProcessGrid::sum_gradients(const std::vector<Tensor>& grads) {
  if (world_size_ == 1) return;
  const ProfileScope profile(ProfileCategory::communication);
  constexpr int64_t kBucket = int64_t{1} << 22;  // floats (16 MB): few calls, bounded extra memory
  std::vector<float>& bucket = comms_->bucket;
  size_t first = 0;
  while (first < grads.size()) {
    // Fill a bucket with whole tensors (a tensor larger than a bucket goes alone, in place).
    size_t last = first;
    int64_t n = 0;
    while (last < grads.size() && (last == first || n + grads[last].numel() <= kBucket))
      n += grads[last++].numel();
    const double t0 = steady_seconds();
    WaitScope wait("the gradient all-reduce");
    if (last == first + 1) {
      float* p = const_cast<float*>(grads[first].data());
      LN_CHECK(MPI_Allreduce(MPI_IN_PLACE, p, static_cast<int>(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD) ==
                   MPI_SUCCESS,
               "[parallel] gradient all-reduce failed");
    } else {
      bucket.resize(static_cast<size_t>(n));
      int64_t at = 0;
      for (size_t i = first; i < last; ++i) {
        std::memcpy(bucket.data() + at, grads[i].data(), grads[i].numel() * sizeof(float));
        at += grads[i].numel();
      }
      LN_CHECK(MPI_Allreduce(MPI_IN_PLACE, bucket.data(), static_cast<int>(n), MPI_FLOAT, MPI_SUM,
                             MPI_COMM_WORLD) == MPI_SUCCESS,
               "[parallel] gradient all-reduce failed");
      at = 0;
      for (size_t i = first; i < last; ++i) {
        std::memcpy(const_cast<float*>(grads[i].data()), bucket.data() + at,
                    grads[i].numel() * sizeof(float));
        at += grads[i].numel();
      }
    }
    comms_->gradient_stats.seconds += steady_seconds() - t0;
    comms_->gradient_stats.bytes_sent += n * 4;
    comms_->gradient_stats.bytes_recv += n * 4;
    first = last;
  }
}

void ProcessGrid::barrier() {
  if (world_size_ == 1) return;
  const ProfileScope profile(ProfileCategory::communication);
  WaitScope wait("every rank to reach a barrier");
  MPI_Barrier(MPI_COMM_WORLD);
}

}  // namespace ln::parallel
