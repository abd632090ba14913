#include "parallel/mpi_exchange.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/error.hpp"
#include "core/steady_clock.hpp"
#include "core/step_profile.hpp"
#include "parallel/watchdog.hpp"

namespace ln::parallel {

namespace {

// MPI counts are int: send big pieces in chunks of at most 2^30 floats (one tag, in order).
constexpr int64_t kChunk = int64_t{1} << 30;

// One message of a round: pieces [off, off + cnt) of the working buffer to or from local rank
// `peer` of the segment (none when peer < 0).
struct Step {
  int64_t peer = -1, off = 0, cnt = 0;
};
struct Round {
  Step send, recv;
};

// The rounds of the gather, as rank j of a segment of G ranks runs them (see the header).
// Causal: the working buffer is the output, in rank order. Bidirectional (Bruck): it is rotated,
// piece t being rank (j + t) mod G's.
std::vector<Round> gather_rounds(int64_t j, int64_t G, bool causal) {
  std::vector<Round> rounds;
  for (int64_t d = 1; d < G; d *= 2) {
    Round r;
    if (causal) {
      if (j + d < G) r.send = {j + d, std::max<int64_t>(0, j - d + 1), std::min(d, j + 1)};
      if (j - d >= 0) r.recv = {j - d, std::max<int64_t>(0, j - 2 * d + 1), std::min(d, j - d + 1)};
    } else {
      const int64_t cnt = std::min(d, G - d);
      r.send = {(j - d + G) % G, 0, cnt};
      r.recv = {(j + d) % G, d, cnt};
    }
    rounds.push_back(r);
  }
  return rounds;
}

// The adjoint: the same rounds backwards, each message going back where it came from.
std::vector<Round> reduce_rounds(int64_t j, int64_t G, bool causal) {
  std::vector<Round> rounds = gather_rounds(j, G, causal);
  std::reverse(rounds.begin(), rounds.end());
  for (Round& r : rounds) std::swap(r.send, r.recv);
  return rounds;
}

// One exchange in flight: posts its rounds one after the other as each completes. Advanced by
// the watchdog thread and by finish(); `add`: received pieces are added to the working buffer
// (the reduce-scatter) instead of stored.
class MpiPending final : public SequenceExchange::Pending, public Progressing {
 public:
  MpiPending(MPI_Comm comm, int64_t first, std::vector<Round> rounds, std::vector<float> owned, float* work,
             int64_t count, bool add, int tag, const char* what, CommStats& stats,
             std::function<void(const float*)> on_done)
      : comm_(comm),
        first_(first),
        rounds_(std::move(rounds)),
        owned_(std::move(owned)),
        work_(work ? work : owned_.data()),
        count_(count),
        add_(add),
        tag_(tag),
        what_(what),
        stats_(stats),
        on_done_(std::move(on_done)) {
    int64_t most = 0;
    for (const Round& r : rounds_) {
      if (r.send.peer >= 0) stats_.bytes_sent += r.send.cnt * count * 4, ++stats_.messages_sent;
      if (r.recv.peer >= 0) stats_.bytes_recv += r.recv.cnt * count * 4, ++stats_.messages_recv;
      most = std::max(most, r.recv.cnt);
    }
    if (add_) scratch_.resize(static_cast<size_t>(most * count));
    start_ = steady_seconds();
    std::lock_guard lock(mutex_);
    advance_locked();
    if (!done_) register_progress(this);
    registered_ = !done_;
  }

  ~MpiPending() override {
    if (finished_) return;
    try {
      finish();
    } catch (...) {  // a destructor does not throw; the error was or will be seen elsewhere
    }
  }

  void advance() override {
    std::lock_guard lock(mutex_);
    advance_locked();
  }

  void finish() override {
    if (finished_) return;
    // The wait is exposed communication; what the progress thread does meanwhile is not this
    // thread's and is not counted (core/step_profile.hpp).
    const ProfileScope profile(ProfileCategory::communication);
    const double t0 = steady_seconds();
    {
      WaitScope wait(what_);
      for (int64_t spins = 0;; ++spins) {
        {
          std::lock_guard lock(mutex_);
          advance_locked();
          if (done_ || !error_.empty()) break;
        }
        watchdog_poll();
        if (spins < 1000)
          std::this_thread::yield();
        else
          std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    }
    finished_ = true;
    if (registered_) unregister_progress(this);
    const double t1 = steady_seconds();
    stats_.seconds += t1 - t0;
    // In flight until its completion was seen: by the progress thread before this wait began
    // (all of it hidden), or else by this wait, whose whole length is then in flight too.
    stats_.add_flight(start_, done_at_ <= t0 ? done_at_ : t1);
    LN_CHECK(error_.empty(), error_);
  }

 private:
  void advance_locked() {
    while (!done_ && error_.empty()) {
      if (posted_) {
        int complete = 0;
        if (MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &complete,
                        MPI_STATUSES_IGNORE) != MPI_SUCCESS) {
          error_ = std::string("[parallel] ") + what_ + " failed in MPI_Testall";
          return;
        }
        if (!complete) return;
        requests_.clear();
        const Step& recv = rounds_[round_].recv;
        if (add_ && recv.peer >= 0) {
          float* dst = work_ + recv.off * count_;
          for (int64_t i = 0; i < recv.cnt * count_; ++i) dst[i] += scratch_[static_cast<size_t>(i)];
        }
        posted_ = false;
        ++round_;
        continue;
      }
      if (round_ == rounds_.size()) {
        if (on_done_) on_done_(work_);
        done_ = true;
        done_at_ = steady_seconds();
        return;
      }
      post(rounds_[round_]);
      posted_ = true;
    }
  }

  void post(const Round& r) {
    auto message = [&](bool send, float* data, int64_t floats, int64_t peer) {
      for (int64_t at = 0; at < floats; at += kChunk) {
        const int n = static_cast<int>(std::min(kChunk, floats - at));
        requests_.emplace_back();
        const int to = static_cast<int>(first_ + peer);
        const int rc = send ? MPI_Isend(data + at, n, MPI_FLOAT, to, tag_, comm_, &requests_.back())
                            : MPI_Irecv(data + at, n, MPI_FLOAT, to, tag_, comm_, &requests_.back());
        if (rc != MPI_SUCCESS)
          error_ = std::string("[parallel] ") + what_ + ": MPI_I" + (send ? "send to" : "recv from") +
                   " rank " + std::to_string(to) + " failed";
      }
    };
    if (r.recv.peer >= 0)
      message(false, add_ ? scratch_.data() : work_ + r.recv.off * count_, r.recv.cnt * count_, r.recv.peer);
    if (r.send.peer >= 0) message(true, work_ + r.send.off * count_, r.send.cnt * count_, r.send.peer);
  }

  MPI_Comm comm_;
  int64_t first_;
  std::vector<Round> rounds_;
  std::vector<float> owned_, scratch_;
  float* work_;
  int64_t count_;
  bool add_;
  int tag_;
  const char* what_;
  CommStats& stats_;
  std::function<void(const float*)> on_done_;
  std::mutex mutex_;
  std::vector<MPI_Request> requests_;
  size_t round_ = 0;
  bool posted_ = false, done_ = false, finished_ = false, registered_ = false;
  double start_ = 0, done_at_ = 0;
  std::string error_;
};

struct Segment {
  int64_t first, size, me;  // first rank, G (cut short by P), my index
};
Segment segment_of(int64_t rank, int64_t ranks, int64_t group) {
  const int64_t first = rank / group * group;
  return {first, std::min(first + group, ranks) - first, rank - first};
}

void copy_pieces(float* dst, const float* src, int64_t pieces, int64_t count) {
  std::memcpy(dst, src, static_cast<size_t>(pieces * count) * sizeof(float));
}

}  // namespace

MpiSequenceExchange::MpiSequenceExchange(MPI_Comm comm, int64_t rank, int64_t ranks)
    : comm_(comm), rank_(rank), ranks_(ranks) {}

std::unique_ptr<SequenceExchange::Pending> MpiSequenceExchange::start_gather(const float* mine, float* out,
                                                                             int64_t count, int64_t group,
                                                                             bool causal) {
  const ProfileScope profile(ProfileCategory::communication);  // packing and posting
  const Segment s = segment_of(rank_, ranks_, group);
  const int tag = static_cast<int>(started_++ % 4096);
  const char* what = "the sequence-parallel key/value gather";
  if (causal || s.size == 1) {  // the output itself is the working buffer
    copy_pieces(out + s.me * count, mine, 1, count);
    return std::make_unique<MpiPending>(comm_, s.first, gather_rounds(s.me, s.size, true),
                                        std::vector<float>(), out, count, false, tag, what, stats_, nullptr);
  }
  std::vector<float> rotated(static_cast<size_t>(s.size * count));
  copy_pieces(rotated.data(), mine, 1, count);
  return std::make_unique<MpiPending>(
      comm_, s.first, gather_rounds(s.me, s.size, false), std::move(rotated), nullptr, count, false, tag,
      what, stats_, [out, s, count](const float* work) {
        for (int64_t t = 0; t < s.size; ++t)
          copy_pieces(out + (s.me + t) % s.size * count, work + t * count, 1, count);
      });
}

std::unique_ptr<SequenceExchange::Pending> MpiSequenceExchange::start_reduce_scatter(
    const float* pieces, float* mine, int64_t count, int64_t group, bool causal) {
  const ProfileScope profile(ProfileCategory::communication);  // packing and posting
  const Segment s = segment_of(rank_, ranks_, group);
  const int tag = static_cast<int>(started_++ % 4096);
  const char* what = "the sequence-parallel key/value gradient reduce-scatter";
  const int64_t held = causal ? s.me + 1 : s.size;  // pieces the gather delivered here
  std::vector<float> acc(static_cast<size_t>(held * count));
  int64_t own = s.me;  // where my piece ends up in the working buffer
  if (causal || s.size == 1) {
    copy_pieces(acc.data(), pieces, held, count);
  } else {  // rotated, my own piece first
    for (int64_t t = 0; t < s.size; ++t)
      copy_pieces(acc.data() + t * count, pieces + (s.me + t) % s.size * count, 1, count);
    own = 0;
  }
  return std::make_unique<MpiPending>(
      comm_, s.first, reduce_rounds(s.me, s.size, causal || s.size == 1), std::move(acc), nullptr, count,
      true, tag, what, stats_,
      [mine, own, count](const float* work) { copy_pieces(mine, work + own * count, 1, count); });
}

}  // namespace ln::parallel
