// `longnet bench kernels`: time of the row kernels behind the ops (kernels/layernorm, gelu,
// softmax_xent, embedding, transpose, dropout) next to their plain-loop reference twins.
// One JSON object per (kernel, impl) on stdout:
//   {"bench":"kernels","kernel":"layernorm_forward","impl":"fast","rows":8192,"width":768,
//    "threads":2,"ms":1.2,"ms_min":1.1,"gbps":42.0,"repeats":10}
// `ms` is the median of the timed repeats after one warm-up call; gbps counts the bytes the
// kernel must read and write once (a lower bound on its traffic). References run at most 3
// repeats (they are slow by design).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "command_registry.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/median.hpp"
#include "core/threading.hpp"
#include "kernels/dropout.hpp"
#include "kernels/embedding.hpp"
#include "kernels/gelu.hpp"
#include "kernels/layernorm.hpp"
#include "kernels/reference/dropout.hpp"
#include "kernels/reference/embedding.hpp"
#include "kernels/reference/gelu.hpp"
#include "kernels/reference/layernorm.hpp"
#include "kernels/reference/softmax_xent.hpp"
#include "kernels/reference/transpose.hpp"
#include "kernels/softmax_xent.hpp"
#include "kernels/transpose.hpp"

namespace {

struct Options {
  int64_t rows = 8192;       // B*T tokens
  int64_t width = 768;       // C
  int64_t vocab = 32000;     // V
  int64_t xent_rows = 2048;  // rows of logits for softmax_xent (rows x vocab floats)
  int64_t heads = 12;        // H for the (B,T,H,D) <-> (B,H,T,D) transpose
  int repeats = 10;
  bool reference = true;
};

std::vector<float> random_floats(int64_t n, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(rng);
  return v;
}

void measure(const Options& o, const std::string& kernel, bool fast, double bytes, ln::JsonObject shape,
             const std::function<void()>& call) {
  int repeats = fast ? o.repeats : std::min(o.repeats, 3);
  call();
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    call();
    auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  double med = ln::median(ms);
  ln::JsonObject line;
  line.add("bench", "kernels").add("kernel", kernel).add("impl", fast ? "fast" : "reference");
  std::string s = shape.str();  // splice the shape fields in after the names
  line.add_raw("shape", s);
  line.add("threads", ln::threads())
      .add("ms", med)
      .add("ms_min", *std::min_element(ms.begin(), ms.end()))
      .add("gbps", bytes / (med * 1e6))
      .add("repeats", repeats);
  std::cout << line.str() << std::endl;
}

int run(const Options& o) {
  LN_CHECK(o.rows > 0 && o.width > 0 && o.vocab > 0 && o.xent_rows > 0 && o.heads > 0 && o.repeats > 0,
           "[bench kernels] --rows, --width, --vocab, --xent-rows, --heads and --repeats must be positive");
  LN_CHECK(o.width % o.heads == 0, "[bench kernels] --width ", o.width, " is not a multiple of --heads ",
           o.heads, "; choose heads dividing width");
  const int64_t n = o.rows, c = o.width, v = o.vocab;
  const double f = sizeof(float);
  auto x = random_floats(n * c, 1, -2.0f, 2.0f), dy = random_floats(n * c, 2);
  auto w = random_floats(c, 3, 0.5f, 1.5f), b = random_floats(c, 4);
  std::vector<float> y(n * c), dx(n * c), dw(c), db(c), mean(n), rstd(n);
  auto nc = ln::JsonObject().add("rows", n).add("width", c);

  for (bool fast : {true, false}) {
    if (!fast && !o.reference) break;
    measure(o, "layernorm_forward", fast, 2 * f * n * c, nc, [&] {
      (fast ? ln::layernorm_forward : ln::reference::layernorm_forward)(
          x.data(), w.data(), b.data(), n, c, 1e-5f, y.data(), mean.data(), rstd.data());
    });
    measure(o, "layernorm_backward", fast, 3 * f * n * c, nc, [&] {
      (fast ? ln::layernorm_backward : ln::reference::layernorm_backward)(
          dy.data(), x.data(), w.data(), mean.data(), rstd.data(), n, c, dx.data(), dw.data(), db.data());
    });
    measure(o, "gelu_forward", fast, 2 * f * n * c, nc,
            [&] { (fast ? ln::gelu_forward : ln::reference::gelu_forward)(x.data(), n * c, y.data()); });
    measure(o, "gelu_backward", fast, 3 * f * n * c, nc, [&] {
      (fast ? ln::gelu_backward : ln::reference::gelu_backward)(x.data(), dy.data(), n * c, dx.data());
    });
    measure(o, "dropout", fast, 2 * f * n * c, nc, [&] {
      (fast ? ln::dropout_apply : ln::reference::dropout_apply)(x.data(), n * c, 0.1f, 7, y.data());
    });
    // (B, T, H, D) -> (B, H, T, D) with B = 1, T = rows.
    measure(o, "transpose_bthd", fast, 2 * f * n * c,
            ln::JsonObject().add("t", n).add("h", o.heads).add("d", c / o.heads), [&] {
              (fast ? ln::transpose_copy : ln::reference::transpose_copy)(x.data(), 1, n, 1, o.heads,
                                                                          c / o.heads, y.data());
            });
    // and back: (B, H, T, D) -> (B, T, H, D)
    measure(o, "transpose_bhtd", fast, 2 * f * n * c,
            ln::JsonObject().add("t", n).add("h", o.heads).add("d", c / o.heads), [&] {
              (fast ? ln::transpose_copy : ln::reference::transpose_copy)(x.data(), 1, o.heads, 1, n,
                                                                          c / o.heads, y.data());
            });
  }

  {
    std::vector<int32_t> ids(n);
    for (int64_t i = 0; i < n; ++i) ids[i] = static_cast<int32_t>((i * 7919) % v);
    auto table = random_floats(v * c, 5);
    std::vector<float> dtable(v * c);
    auto shape = ln::JsonObject().add("rows", n).add("vocab", v).add("width", c);
    for (bool fast : {true, false}) {
      if (!fast && !o.reference) break;
      measure(o, "embedding_forward", fast, 2 * f * n * c, shape, [&] {
        (fast ? ln::embedding_forward : ln::reference::embedding_forward)(table.data(), ids.data(), n, v, c,
                                                                          y.data());
      });
      measure(o, "embedding_backward", fast, f * (n * c + v * c), shape, [&] {
        (fast ? ln::embedding_backward : ln::reference::embedding_backward)(dy.data(), ids.data(), n, v, c,
                                                                            dtable.data());
      });
    }
  }

  {
    const int64_t m = o.xent_rows;
    auto logits = random_floats(m * v, 6, -4.0f, 4.0f);
    std::vector<int32_t> targets(m);
    for (int64_t i = 0; i < m; ++i) targets[i] = static_cast<int32_t>((i * 104729) % v);
    std::vector<float> loss(m), lse(m), d_row(m, 1.0f / m), dlogits(m * v);
    auto shape = ln::JsonObject().add("rows", m).add("vocab", v);
    for (bool fast : {true, false}) {
      if (!fast && !o.reference) break;
      measure(o, "softmax_xent_forward", fast, f * m * v, shape, [&] {
        (fast ? ln::softmax_xent_forward : ln::reference::softmax_xent_forward)(
            logits.data(), targets.data(), m, v, -1, loss.data(), lse.data());
      });
      measure(o, "softmax_xent_backward", fast, 2 * f * m * v, shape, [&] {
        (fast ? ln::softmax_xent_backward : ln::reference::softmax_xent_backward)(
            logits.data(), targets.data(), lse.data(), d_row.data(), m, v, -1, dlogits.data());
      });
    }
  }
  return 0;
}

ln::app::RegisterCommand reg{
    {"bench", "kernels",
     "Row kernels (layernorm, GELU, softmax-xent, embedding, transpose, dropout) vs references",
     [](CLI::App& cmd) {
       auto o = std::make_shared<Options>();
       cmd.add_option("--rows", o->rows, "Token rows N (B*T)")->capture_default_str();
       cmd.add_option("--width", o->width, "Model width C")->capture_default_str();
       cmd.add_option("--vocab", o->vocab, "Vocabulary size V")->capture_default_str();
       cmd.add_option("--xent-rows", o->xent_rows, "Rows of (rows x vocab) logits for softmax_xent")
           ->capture_default_str();
       cmd.add_option("--heads", o->heads, "Heads H for the (T,H,D)->(H,T,D) transpose")
           ->capture_default_str();
       cmd.add_option("--repeats", o->repeats, "Timed calls per measurement (median is reported)")
           ->capture_default_str();
       cmd.add_flag("!--no-reference", o->reference, "Skip the (slow) reference twins");
       return [o] { return run(*o); };
     }}};

}  // namespace
