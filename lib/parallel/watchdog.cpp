#include "parallel/watchdog.hpp"

#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "core/number_format.hpp"
#include "core/steady_clock.hpp"

namespace ln::parallel {

namespace {

enum State : int { computing = 0, waiting = 1, solo = 2 };
constexpr int kPingTag = 1, kPongTag = 2;

struct Pong {
  int32_t round = 0, state = 0;
  double seconds = 0;  // in that state
  char what[88] = {};
};

std::atomic<double> g_timeout{kDefaultTimeoutSeconds};
std::mutex g_note_mutex;
std::string g_note = "no checkpoint was written";

// The main thread's state, read by the watchdog.
std::atomic<int> g_state{computing};
std::atomic<double> g_state_since{0};  // when the main thread entered its state
std::atomic<double> g_check_from{0};   // the wait's deadline counts from here
std::atomic<const char*> g_what{""};
int g_wait_depth = 0, g_solo_depth = 0;  // main thread only

std::mutex g_items_mutex;
std::vector<Progressing*> g_items;
std::atomic<int> g_item_count{0};

class Watchdog {
 public:
  explicit Watchdog(bool threaded) {
    MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    post_ping_recv();
    if (threaded) thread_ = std::thread([this] { loop(); });
  }
  ~Watchdog() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (MPI_Request* r : {&ping_req_, &pong_req_})
      if (*r != MPI_REQUEST_NULL) {
        MPI_Cancel(r);
        MPI_Wait(r, MPI_STATUS_IGNORE);
      }
    for (auto& s : sends_) MPI_Wait(&s.request, MPI_STATUS_IGNORE);
    MPI_Comm_free(&comm_);
  }

  void tick() {
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return;
    answer_pings();
    {
      std::lock_guard items(g_items_mutex);
      for (Progressing* p : g_items) p->advance();
    }
    reap_sends();
    if (round_active_) {
      collect_pongs();
      if (steady_seconds() - round_start_ >= grace()) decide();
      return;
    }
    const double t = steady_seconds();
    if (g_state.load() != waiting || t - g_check_from.load() < g_timeout.load()) return;
    if (t < quiet_until_) return;  // another rank is reporting
    start_round();
  }

 private:
  struct Send {
    std::unique_ptr<char[]> data;
    MPI_Request request = MPI_REQUEST_NULL;
  };

  static double grace() { return std::clamp(g_timeout.load() / 4, 1.0, 10.0); }

  void loop() {
    while (!stop_) {
      tick();
      std::this_thread::sleep_for(std::chrono::microseconds(g_item_count.load() == 0 ? 2000 : 500));
    }
  }

  void send(const void* data, int bytes, int to, int tag) {
    Send s;
    s.data.reset(new char[static_cast<size_t>(bytes)]);
    std::memcpy(s.data.get(), data, static_cast<size_t>(bytes));
    MPI_Isend(s.data.get(), bytes, MPI_BYTE, to, tag, comm_, &s.request);
    sends_.push_back(std::move(s));
  }

  void reap_sends() {
    while (!sends_.empty()) {
      int done = 0;
      MPI_Test(&sends_.front().request, &done, MPI_STATUS_IGNORE);
      if (!done) break;
      sends_.pop_front();
    }
  }

  void post_ping_recv() { MPI_Irecv(&ping_in_, 1, MPI_INT, MPI_ANY_SOURCE, kPingTag, comm_, &ping_req_); }

  void answer_pings() {
    for (;;) {
      int done = 0;
      MPI_Status status;
      MPI_Test(&ping_req_, &done, &status);
      if (!done) return;
      const int from = status.MPI_SOURCE;
      Pong pong;
      pong.round = ping_in_;
      pong.state = g_state.load();
      pong.seconds = steady_seconds() - g_state_since.load();
      std::snprintf(pong.what, sizeof pong.what, "%s", g_what.load());
      send(&pong, sizeof pong, from, kPongTag);
      // Someone is reporting: stay quiet a while. If we report too, the lower rank wins.
      quiet_until_ = std::max(quiet_until_, steady_seconds() + 3 * grace());
      if (round_active_ && from < rank_) yielded_ = true;
      post_ping_recv();
    }
  }

  void start_round() {
    round_active_ = true;
    yielded_ = false;
    ++round_;
    round_start_ = steady_seconds();
    waited_ = round_start_ - g_check_from.load();
    waited_for_ = g_what.load();
    pongs_.assign(static_cast<size_t>(size_), Pong{});
    answered_.assign(static_cast<size_t>(size_), false);
    answered_[static_cast<size_t>(rank_)] = true;
    for (int r = 0; r < size_; ++r)
      if (r != rank_) send(&round_, sizeof round_, r, kPingTag);
    if (pong_req_ == MPI_REQUEST_NULL)
      MPI_Irecv(&pong_in_, sizeof pong_in_, MPI_BYTE, MPI_ANY_SOURCE, kPongTag, comm_, &pong_req_);
  }

  void collect_pongs() {
    for (;;) {
      int done = 0;
      MPI_Status status;
      MPI_Test(&pong_req_, &done, &status);
      if (!done) return;
      if (pong_in_.round == round_) {  // a late answer to an earlier round is stale
        answered_[static_cast<size_t>(status.MPI_SOURCE)] = true;
        pongs_[static_cast<size_t>(status.MPI_SOURCE)] = pong_in_;
      }
      MPI_Irecv(&pong_in_, sizeof pong_in_, MPI_BYTE, MPI_ANY_SOURCE, kPongTag, comm_, &pong_req_);
    }
  }

  static std::string rank_list(const std::vector<int>& ranks) {
    std::string s = ranks.size() == 1 ? "rank " : "ranks ";
    for (size_t i = 0; i < ranks.size(); ++i) s += (i ? ", " : "") + std::to_string(ranks[i]);
    return s;
  }

  std::string waited_text() const {
    return "rank " + std::to_string(rank_) + " had waited " + format_fixed(waited_, 1) + " s for " +
           waited_for_ + " (parallel.timeout_s = " + format_fixed(g_timeout.load(), 1) + ")";
  }

  void decide() {
    round_active_ = false;
    if (yielded_) return;  // a lower rank reports
    std::vector<int> silent, slow, busy;
    bool all_waiting_long = true;
    for (int r = 0; r < size_; ++r) {
      if (r == rank_) continue;
      const Pong& p = pongs_[static_cast<size_t>(r)];
      if (!answered_[static_cast<size_t>(r)]) {
        silent.push_back(r);
        continue;
      }
      if (p.state == computing && p.seconds > g_timeout.load()) slow.push_back(r);
      if (p.state == solo) busy.push_back(r);
      if (p.state != waiting || p.seconds < g_timeout.load()) all_waiting_long = false;
    }
    if (!silent.empty()) {
      report(rank_list(silent) + " went silent" + ": no answer within " + format_fixed(grace(), 1) +
             " s after " + waited_text());
    } else if (!slow.empty()) {
      const Pong& p = pongs_[static_cast<size_t>(slow[0])];
      report(rank_list(slow) + " computed for " + format_fixed(p.seconds, 1) +
             " s without reaching the next exchange while " + waited_text() +
             "; raise parallel.timeout_s if a step legitimately takes that long");
    } else if (busy.empty() && all_waiting_long && size_ > 1) {
      std::string where;
      for (int r = 0; r < size_; ++r)
        if (r != rank_)
          where += "; rank " + std::to_string(r) + " waits for " + pongs_[static_cast<size_t>(r)].what;
      report(
          "every rank is waiting for another (an internal error: the ranks disagree on what to "
          "communicate): " +
          waited_text() + where);
    }
    // Otherwise every rank is alive and working (or busy alone): wait on, with a new deadline.
    g_check_from = steady_seconds();
  }

  [[noreturn]] void report(const std::string& what) {
    std::string note;
    {
      std::lock_guard lock(g_note_mutex);
      note = g_note;
    }
    std::fprintf(stderr, "longnet: error: %s; ending the job. %s\n", what.c_str(), note.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 3);
    std::_Exit(3);
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::deque<Send> sends_;
  int ping_in_ = 0;
  MPI_Request ping_req_ = MPI_REQUEST_NULL, pong_req_ = MPI_REQUEST_NULL;
  Pong pong_in_;
  bool round_active_ = false, yielded_ = false;
  int32_t round_ = 0;
  double round_start_ = 0, waited_ = 0, quiet_until_ = 0;
  std::string waited_for_;
  std::vector<Pong> pongs_;
  std::vector<bool> answered_;
};

std::unique_ptr<Watchdog> g_watchdog;

}  // namespace

void set_wait_timeout(double seconds) {
  if (seconds > 0) g_timeout = seconds;
}
double wait_timeout() { return g_timeout.load(); }

void set_abort_note(const std::string& note) {
  std::lock_guard lock(g_note_mutex);
  g_note = note;
}

WaitScope::WaitScope(const char* what) : outer_(g_wait_depth++ == 0 && g_solo_depth == 0) {
  if (!outer_) return;
  const double t = steady_seconds();
  g_what = what;
  g_state_since = t;
  g_check_from = t;
  g_state = waiting;
}

WaitScope::~WaitScope() {
  --g_wait_depth;
  if (!outer_) return;
  g_state = computing;
  g_state_since = steady_seconds();
  g_what = "";
}

SoloPhase::SoloPhase(const char* what) : outer_(g_solo_depth++ == 0) {
  if (!outer_) return;
  g_what = what;
  g_state_since = steady_seconds();
  g_state = solo;
}

SoloPhase::~SoloPhase() {
  --g_solo_depth;
  if (!outer_) return;
  g_state = computing;
  g_state_since = steady_seconds();
  g_what = "";
}

void register_progress(Progressing* item) {
  std::lock_guard lock(g_items_mutex);
  g_items.push_back(item);
  g_item_count = static_cast<int>(g_items.size());
}

void unregister_progress(Progressing* item) {
  std::lock_guard lock(g_items_mutex);
  g_items.erase(std::remove(g_items.begin(), g_items.end(), item), g_items.end());
  g_item_count = static_cast<int>(g_items.size());
}

void start_watchdog(bool threaded) {
  g_state_since = steady_seconds();
  g_watchdog = std::make_unique<Watchdog>(threaded);
}

void stop_watchdog() { g_watchdog.reset(); }

void watchdog_poll() {
  if (g_watchdog) g_watchdog->tick();
}

}  // namespace ln::parallel
