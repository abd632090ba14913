#include "parallel/mpi_exchange.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/error.hpp"
#include "parallel/mpi_session.hpp"

namespace ln::parallel {

namespace {
double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// MPI counts are int: send big pieces in chunks of at most 2^30 floats.
constexpr int64_t kChunk = int64_t{1} << 30;

void wait_all(std::vector<MPI_Request>& requests, const char* what) {
  if (requests.empty()) return;
  LN_CHECK(
      MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE) == MPI_SUCCESS,
      "[parallel] ", what, " failed in MPI_Waitall");
  requests.clear();
}

void post(std::vector<MPI_Request>& requests, bool send, float* data, int64_t count, int peer,
          MPI_Comm comm) {
  for (int64_t at = 0, tag = 0; at < count; at += kChunk, ++tag) {
    const int n = static_cast<int>(std::min(kChunk, count - at));
    requests.emplace_back();
    const int rc =
        send ? MPI_Isend(data + at, n, MPI_FLOAT, peer, static_cast<int>(tag), comm, &requests.back())
             : MPI_Irecv(data + at, n, MPI_FLOAT, peer, static_cast<int>(tag), comm, &requests.back());
    LN_CHECK(rc == MPI_SUCCESS, "[parallel] MPI_I", send ? "send" : "recv", " to rank ", peer, " failed");
  }
}
}  // namespace

MpiSequenceExchange::MpiSequenceExchange(MPI_Comm comm, int64_t rank, int64_t ranks)
    : comm_(comm), rank_(rank), ranks_(ranks) {}

MpiSequenceExchange::~MpiSequenceExchange() {
  if (!mpi_active()) return;
  for (auto& [group, comm] : segments_) MPI_Comm_free(&comm);
}

MPI_Comm MpiSequenceExchange::segment_comm(int64_t group) {
  auto it = segments_.find(group);
  if (it != segments_.end()) return it->second;
  MPI_Comm comm = MPI_COMM_NULL;
  // Every rank of the sequence group reaches here for the same pattern at the same time.
  MPI_Comm_split(comm_, static_cast<int>(rank_ / group), static_cast<int>(rank_ % group), &comm);
  segments_[group] = comm;
  return comm;
}

void MpiSequenceExchange::segment_gather(const float* mine, float* out, int64_t count, int64_t group,
                                         bool causal) {
  const int64_t first = rank_ / group * group, end = std::min(first + group, ranks_), me = rank_ - first;
  const int64_t last = causal ? me : end - first - 1;  // local index of the last piece received
  std::memcpy(out + me * count, mine, count * sizeof(float));
  if (ranks_ == 1) return;
  // Split collectively on first use, even by a rank alone in a short last segment.
  MPI_Comm comm = segment_comm(group);
  if (end - first == 1) return;
  const double t0 = now_s();
  std::vector<MPI_Request> requests;
  for (int64_t j = 0; j <= last; ++j) {
    if (j == me) continue;
    post(requests, false, out + j * count, count, static_cast<int>(j), comm);
    stats_.bytes_recv += count * 4;
  }
  for (int64_t j = causal ? me + 1 : 0; j < end - first; ++j) {
    if (j == me) continue;
    post(requests, true, const_cast<float*>(mine), count, static_cast<int>(j), comm);
    stats_.bytes_sent += count * 4;
  }
  wait_all(requests, "the sequence-parallel key/value gather");
  stats_.seconds += now_s() - t0;
}

void MpiSequenceExchange::segment_reduce_scatter(const float* pieces, float* mine, int64_t count,
                                                 int64_t group, bool causal) {
  const int64_t first = rank_ / group * group, end = std::min(first + group, ranks_), me = rank_ - first;
  const int64_t last = causal ? me : end - first - 1;
  const int64_t from = causal ? me : 0;  // ranks [from, end) hold a piece for me
  std::memcpy(mine, pieces + me * count, count * sizeof(float));
  if (ranks_ == 1) return;
  // Split collectively on first use, even by a rank alone in a short last segment.
  MPI_Comm comm = segment_comm(group);
  if (end - first == 1) return;
  const double t0 = now_s();
  std::vector<float> received(static_cast<size_t>((end - first) * count));
  std::vector<MPI_Request> requests;
  for (int64_t j = from; j < end - first; ++j) {
    if (j == me) continue;
    post(requests, false, received.data() + j * count, count, static_cast<int>(j), comm);
    stats_.bytes_recv += count * 4;
  }
  for (int64_t j = 0; j <= last; ++j) {
    if (j == me) continue;
    post(requests, true, const_cast<float*>(pieces + j * count), count, static_cast<int>(j), comm);
    stats_.bytes_sent += count * 4;
  }
  wait_all(requests, "the sequence-parallel key/value gradient reduce-scatter");
  stats_.seconds += now_s() - t0;
  // Sum in rank order (deterministic): own piece and then later ranks' in the causal case; for
  // the bidirectional case, earlier ranks come first.
  std::vector<float> sum(static_cast<size_t>(count), 0.f);
  for (int64_t j = from; j < end - first; ++j) {
    const float* src = j == me ? pieces + me * count : received.data() + j * count;
    for (int64_t c = 0; c < count; ++c) sum[c] += src[c];
  }
  std::memcpy(mine, sum.data(), count * sizeof(float));
}

}  // namespace ln::parallel
