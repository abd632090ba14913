// `longnet bench dist`: what sequence-parallel attention (DESIGN §4) costs per rank and layer.
//
//   mpirun --oversubscribe -np 4 longnet bench dist        measured on the ranks of this job
//   longnet bench dist --model                            the analytic model, P = 1 .. 4096
//
// The pattern set keeps w/r constant (= --ratio): (ratio, 1), (4*ratio, 4), (N, N/ratio), so a
// long pattern's sparsified keys are `ratio` rows per head whatever N and P. One JSON object per
// line; measured: one line per rank and pass (fwd, bwd) with the bytes and messages that rank
// sent and received, its time inside the attention op minus the time it waited for
// communication (compute_ms), the communication it waited for (exposed_ms: not hidden behind
// compute) and the rest of the communication's time in flight (hidden_ms), the model's bytes
// and messages for the same rank (model_*), and the bytes the rank holds (bytes_per_rank: its
// q, k, v, output and their gradients, and the gathered keys and values); model: the busiest
// rank (the last: causal ranks receive the keys of every earlier rank of their segment), with
// compute time from --gflops and communication time from --bandwidth and --latency-us per
// round (assumptions, printed in every line), the part of it not hidden behind the local
// patterns' compute (exposed_ms), and the training memory of one rank (train_bytes_per_rank:
// train/memory_estimate.hpp for a model of --layers layers, C = heads * head_dim, --vocab,
// --recompute).

#include <algorithm>
#include <chrono>
#include <iostream>
#include <random>
#include <vector>

#include "command_registry.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json.hpp"
#include "core/threading.hpp"
#include "nn/recompute.hpp"
#include "ops/sequence_parallel_attention.hpp"
#include "parallel/comm_model.hpp"
#include "parallel/comm_plot.hpp"
#include "parallel/mpi_session.hpp"
#include "parallel/process_grid.hpp"
#include "train/memory_estimate.hpp"

namespace ln::app {
namespace {

struct Options {
  int64_t tokens_per_rank = 8192, ratio = 2048, heads = 4, head_dim = 64, batch = 1;
  int repeats = 3;
  bool model = false;
  int64_t max_ranks = 4096;
  double gflops = 20, bandwidth_gbs = 10, latency_us = 5;
  int64_t layers = 12, vocab = 32000;  // --model's training-memory estimate
  std::string recompute = "none";      // ... and what its forward keeps (train.recompute)
  std::string svg;                     // --model: also write the curve here
};

Tensor random_tensor(const Shape& shape, uint64_t seed) {
  Tensor t = Tensor::empty(shape);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

JsonObject base_line(const Options& o, int64_t P, int64_t R, const char* pass, bool measured) {
  const int64_t l = o.tokens_per_rank;
  return JsonObject()
      .add("bench", "dist")
      .add("measured", measured)
      .add("pass", pass)
      .add("rank", R)
      .add("ranks", P)
      .add("seq", P * l)
      .add("tokens_per_rank", l)
      .add("ratio", o.ratio)
      .add("heads", o.heads)
      .add("head_dim", o.head_dim)
      .add("batch", o.batch);
}

// Bytes one rank holds for one layer's attention: q, k, v, the output and their gradients (8
// slices of B*H*l*D floats), and the gathered keys and values of the long patterns.
int64_t attention_bytes_per_rank(const AttentionSpec& spec, int64_t B, int64_t H, int64_t D, int64_t N,
                                 int64_t P, int64_t R) {
  const int64_t l = N / P;
  int64_t floats = 8 * B * H * l * D;
  for (size_t p = 0; p < spec.segments.size(); ++p) {
    const int64_t w = std::min(spec.segments[p], N), r = spec.dilations[p];
    if (w <= l) continue;
    const int64_t G = w / l, first = R / G * G,
                  held = spec.causal ? R - first + 1 : std::min(first + G, P) - first;
    floats += 2 * held * B * H * (l / r) * D;
  }
  return floats * 4;
}

// The training memory of one rank (the busiest) for a model of the bench's attention.
uint64_t train_bytes_per_rank(const Options& o, const AttentionSpec& spec, int64_t N, int64_t P) {
  ModelSpec m;
  m.vocab_size = o.vocab;
  m.d_model = o.heads * o.head_dim;
  m.heads = o.heads;
  m.layers = o.layers;
  m.attention = spec;
  const int64_t C = m.d_model;
  const int64_t parameters = o.vocab * C + o.layers * (4 * C * C + 8 * C * C + 13 * C) + 2 * C;
  const Recompute recompute = parse_recompute(o.recompute);
  MemoryEstimate e = estimate_training_memory(m, parameters, o.batch, N / P, recompute);
  add_sequence_parallel_memory(e, m, o.batch, N, P, recompute, false);
  return e.total();
}

int run_model(const Options& o) {
  std::vector<parallel::CommPoint> points;
  for (int64_t P = 1; P <= o.max_ranks; P *= 2) {
    const int64_t N = P * o.tokens_per_rank, R = P - 1;
    const AttentionSpec spec = parallel::constant_ratio_patterns(N, o.ratio);
    check_sequence_split(spec, N, P);
    const parallel::RankTraffic t = parallel::modelled_traffic(spec, o.batch, o.heads, o.head_dim, N, P, R);
    const double flops = parallel::modelled_forward_flops(spec, o.batch, o.heads, o.head_dim, N, P);
    // The local patterns' compute, which the exchange of the long ones flies behind.
    AttentionSpec local = spec;
    local.segments.clear(), local.dilations.clear();
    for (size_t p = 0; p < spec.segments.size(); ++p)
      if (std::min(spec.segments[p], N) <= o.tokens_per_rank)
        local.segments.push_back(spec.segments[p]), local.dilations.push_back(spec.dilations[p]);
    const double local_flops = parallel::modelled_forward_flops(local, o.batch, o.heads, o.head_dim, N, P);
    const uint64_t train_bytes = train_bytes_per_rank(o, spec, N, P);
    // For contrast: the same segments' keys and values gathered whole (every r = 1).
    AttentionSpec whole = spec;
    std::fill(whole.dilations.begin(), whole.dilations.end(), 1);
    const parallel::RankTraffic dense =
        parallel::modelled_traffic(whole, o.batch, o.heads, o.head_dim, N, P, R);
    points.push_back({P, N, static_cast<double>(t.fwd_recv), static_cast<double>(dense.fwd_recv)});
    for (int pass = 0; pass < 2; ++pass) {
      const int64_t sent = pass == 0 ? t.fwd_sent : t.bwd_sent, recv = pass == 0 ? t.fwd_recv : t.bwd_recv;
      const double scale = (pass == 0 ? 1.0 : 2.5) / (o.gflops * 1e9) * 1e3;
      const double compute_ms = flops * scale;
      const double comm_ms = static_cast<double>(t.rounds) * o.latency_us * 1e-3 +
                             static_cast<double>(std::max(sent, recv)) / (o.bandwidth_gbs * 1e9) * 1e3;
      std::cout << base_line(o, P, R, pass == 0 ? "fwd" : "bwd", false)
                       .add("bytes_sent", sent)
                       .add("bytes_recv", recv)
                       .add("messages_sent", pass == 0 ? t.fwd_messages_sent : t.fwd_messages_recv)
                       .add("messages_recv", pass == 0 ? t.fwd_messages_recv : t.fwd_messages_sent)
                       .add("rounds", t.rounds)
                       .add("compute_ms", compute_ms)
                       .add("comm_ms", comm_ms)
                       .add("exposed_ms", std::max(0.0, comm_ms - local_flops * scale))
                       .add("bytes_per_rank",
                            attention_bytes_per_rank(spec, o.batch, o.heads, o.head_dim, N, P, R))
                       .add("train_bytes_per_rank", train_bytes)
                       .add("train_model_layers", o.layers)
                       .add("train_model_vocab", o.vocab)
                       .add("train_recompute", o.recompute)
                       .add("assumed_gflops_per_rank", o.gflops)
                       .add("assumed_bandwidth_gbs", o.bandwidth_gbs)
                       .add("assumed_latency_us", o.latency_us)
                       .str()
                << "\n";
    }
  }
  if (!o.svg.empty()) {
    write_file_atomic(o.svg, parallel::comm_model_svg(
                                 points, std::to_string(o.tokens_per_rank) + " tokens per rank, w/r = " +
                                             std::to_string(o.ratio) + ", H = " + std::to_string(o.heads) +
                                             ", D = " + std::to_string(o.head_dim) + ", fp32, causal"));
  }
  return 0;
}

int run_measured(const Options& o) {
  const int64_t P = parallel::world_size();
  parallel::ProcessGrid grid(P);
  const int64_t R = grid.sequence_rank(), l = o.tokens_per_rank, N = P * l;
  const int64_t B = o.batch, H = o.heads, D = o.head_dim;
  const AttentionSpec spec = parallel::constant_ratio_patterns(N, o.ratio);
  {
    parallel::SymmetricErrorScope symmetric;
    check_sequence_split(spec, N, P);
  }
  const Shape shape{B, H, l, D};
  Var q(random_tensor(shape, 10 + R), true), k(random_tensor(shape, 20 + R), true),
      v(random_tensor(shape, 30 + R), true);
  Tensor seed = random_tensor(shape, 40 + R);
  parallel::CommStats& stats = grid.sequence_stats();
  // Per pass: bytes sent, received, compute ms, exposed comm ms, hidden comm ms, messages sent,
  // received (the median repeat's times).
  std::vector<std::vector<double>> runs;
  auto now = [] { return std::chrono::steady_clock::now(); };
  for (int rep = 0; rep <= o.repeats; ++rep) {  // repeat 0 warms up
    grid.barrier();
    const parallel::CommStats s0 = stats;
    const auto t0 = now();
    Var out = sequence_parallel_attention(q, k, v, spec, grid.sequence());
    const auto t1 = now();
    const parallel::CommStats s1 = stats;
    out.backward(seed);
    const auto t2 = now();
    const parallel::CommStats s2 = stats;
    const double fwd_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    const double bwd_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
    const parallel::CommStats f = s1 - s0, b = s2 - s1;
    auto pass = [](const parallel::CommStats& c, double ms) {
      return std::vector<double>{static_cast<double>(c.bytes_sent),
                                 static_cast<double>(c.bytes_recv),
                                 ms - c.seconds * 1e3,
                                 c.seconds * 1e3,
                                 std::max(0.0, c.flight_seconds - c.seconds) * 1e3,
                                 static_cast<double>(c.messages_sent),
                                 static_cast<double>(c.messages_recv)};
    };
    if (rep > 0) {
      std::vector<double> row = pass(f, fwd_ms), bwd = pass(b, bwd_ms);
      row.insert(row.end(), bwd.begin(), bwd.end());
      runs.push_back(row);
    }
    q.zero_grad(), k.zero_grad(), v.zero_grad();
  }
  constexpr int64_t kFields = 7;
  std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) {
    return a[2] + a[3] + a[kFields + 2] + a[kFields + 3] < b[2] + b[3] + b[kFields + 2] + b[kFields + 3];
  });
  const std::vector<double>& mid = runs[runs.size() / 2];
  // Everyone's numbers to rank 0: each rank fills its slot, the world sums.
  std::vector<double> all(static_cast<size_t>(P * 2 * kFields), 0.0);
  std::copy(mid.begin(), mid.end(), all.begin() + R * 2 * kFields);
  grid.sum_world(all.data(), static_cast<int64_t>(all.size()));
  if (!grid.is_root()) return 0;
  for (int64_t r = 0; r < P; ++r) {
    const parallel::RankTraffic want = parallel::modelled_traffic(spec, B, H, D, N, P, r);
    for (int pass = 0; pass < 2; ++pass) {
      const double* m = all.data() + (r * 2 + pass) * kFields;
      const double total_ms = m[2] + m[3];
      std::cout << base_line(o, P, r, pass == 0 ? "fwd" : "bwd", true)
                       .add("bytes_sent", static_cast<int64_t>(m[0]))
                       .add("bytes_recv", static_cast<int64_t>(m[1]))
                       .add("messages_sent", static_cast<int64_t>(m[5]))
                       .add("messages_recv", static_cast<int64_t>(m[6]))
                       .add("compute_ms", m[2])
                       .add("exposed_ms", m[3])
                       .add("hidden_ms", m[4])
                       .add("tokens_per_s",
                            total_ms > 0 ? static_cast<double>(B * l) / (total_ms * 1e-3) : 0.0)
                       .add("model_bytes_sent", pass == 0 ? want.fwd_sent : want.bwd_sent)
                       .add("model_bytes_recv", pass == 0 ? want.fwd_recv : want.bwd_recv)
                       .add("model_messages_recv",
                            pass == 0 ? want.fwd_messages_recv : want.fwd_messages_sent)
                       .add("bytes_per_rank", attention_bytes_per_rank(spec, B, H, D, N, P, r))
                       .add("threads", static_cast<int64_t>(threads()))
                       .add("repeats", static_cast<int64_t>(o.repeats))
                       .str()
                << "\n";
    }
  }
  return 0;
}

RegisterCommand reg{
    {"bench", "dist",
     "Sequence-parallel attention per rank and layer: bytes and compute/communication time "
     "(under mpirun), or --model for P up to 4096",
     [](CLI::App& cmd) -> RunFn {
       auto o = std::make_shared<Options>();
       cmd.add_option("--tokens-per-rank", o->tokens_per_rank, "Positions l each rank holds")
           ->check(CLI::PositiveNumber);
       cmd.add_option("--ratio", o->ratio, "w/r of every pattern (rows per head of a long pattern)")
           ->check(CLI::PositiveNumber);
       cmd.add_option("--heads", o->heads, "Heads H")->check(CLI::PositiveNumber);
       cmd.add_option("--head-dim", o->head_dim, "Head dim D")->check(CLI::PositiveNumber);
       cmd.add_option("--batch", o->batch, "Sequences B")->check(CLI::PositiveNumber);
       cmd.add_option("--repeats", o->repeats, "Timed repeats (median); one more warms up")
           ->check(CLI::PositiveNumber);
       cmd.add_flag("--model", o->model, "Print the analytic model for P = 1, 2, 4 .. --max-ranks");
       cmd.add_option("--svg", o->svg, "With --model: also write the curve as an SVG file");
       cmd.add_option("--max-ranks", o->max_ranks, "Largest P of --model")->check(CLI::PositiveNumber);
       cmd.add_option("--gflops", o->gflops, "Model: attention GFLOP/s per rank")->check(CLI::PositiveNumber);
       cmd.add_option("--bandwidth", o->bandwidth_gbs, "Model: GB/s per rank link")
           ->check(CLI::PositiveNumber);
       cmd.add_option("--latency-us", o->latency_us, "Model: microseconds per round of messages")
           ->check(CLI::NonNegativeNumber);
       cmd.add_option("--layers", o->layers,
                      "Model: layers of the model whose training memory per rank is printed")
           ->check(CLI::PositiveNumber);
       cmd.add_option("--vocab", o->vocab, "Model: vocabulary of that model")->check(CLI::PositiveNumber);
       cmd.add_option("--recompute", o->recompute,
                      "Model: what that model's forward keeps (train.recompute: none, attention, blocks)")
           ->capture_default_str()
           ->check([](const std::string& name) {  // refused before any line is printed
             try {
               parse_recompute(name);
               return std::string();
             } catch (const std::exception& e) {
               return std::string(e.what());
             }
           });
       return [o] { return o->model ? run_model(*o) : run_measured(*o); };
     }}};

}  // namespace
}  // namespace ln::app
