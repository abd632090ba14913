#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/threading.hpp"
#include "train/adamw.hpp"

using namespace ln;

namespace {

// Independent reference: textbook AdamW (Loshchilov & Hutter, as in torch.optim.AdamW), one
// scalar at a time, in double precision.
struct RefParam {
  std::vector<double> p, m, v;
  int64_t t = 0;
};

void ref_step(RefParam& r, const std::vector<float>& g, double lr, bool decay, const AdamWOptions& o) {
  r.t += 1;
  const double bc1 = 1.0 - std::pow(o.beta1, static_cast<double>(r.t));
  const double bc2 = 1.0 - std::pow(o.beta2, static_cast<double>(r.t));
  for (size_t i = 0; i < r.p.size(); ++i) {
    if (decay) r.p[i] -= lr * o.weight_decay * r.p[i];
    r.m[i] = o.beta1 * r.m[i] + (1 - o.beta1) * g[i];
    r.v[i] = o.beta2 * r.v[i] + (1 - o.beta2) * double(g[i]) * g[i];
    const double m_hat = r.m[i] / bc1, v_hat = r.v[i] / bc2;
    // PyTorch's form: eps is added to sqrt(v)/sqrt(bc2), i.e. to sqrt(v_hat).
    r.p[i] -= lr * m_hat / (std::sqrt(v_hat) + o.eps);
  }
}

std::vector<float> random_values(int64_t n, std::mt19937_64& rng, float scale) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> out(static_cast<size_t>(n));
  for (float& x : out) x = dist(rng);
  return out;
}

}  // namespace

TEST_CASE("AdamW matches a double-precision scalar reference over several steps") {
  // Sizes: one element, an odd size (all scalar tail), a size with a vector body and a tail,
  // and one above the 32768-element chunk so the TBB path and a ragged last chunk run.
  const std::vector<Shape> shapes = {{1}, {7}, {3, 11}, {70001}};
  const std::vector<bool> decays = {false, true, true, true};
  AdamWOptions o;
  o.beta1 = 0.9;
  o.beta2 = 0.95;
  o.eps = 1e-8;
  o.weight_decay = 0.1;
  std::mt19937_64 rng(42);
  std::vector<ParamRef> params;
  std::vector<RefParam> refs;
  for (size_t k = 0; k < shapes.size(); ++k) {
    const int64_t n = shape_numel(shapes[k]);
    std::vector<float> init = random_values(n, rng, 1.0f);
    params.push_back({"p" + std::to_string(k), Var(Tensor::from(init, shapes[k]), true), decays[k]});
    RefParam r;
    r.p.assign(init.begin(), init.end());
    r.m.assign(static_cast<size_t>(n), 0.0);
    r.v.assign(static_cast<size_t>(n), 0.0);
    refs.push_back(std::move(r));
  }
  AdamW opt(params, o);
  const std::vector<double> lrs = {1e-2, 3e-2, 2e-2, 5e-3, 1e-2, 0.0};
  for (double lr : lrs) {
    for (size_t k = 0; k < params.size(); ++k) {
      std::vector<float> g = random_values(params[k].param.numel(), rng, 0.5f);
      params[k].param.grad() = Tensor::from(g, shapes[k]);
      ref_step(refs[k], g, lr, decays[k], o);
    }
    opt.step(lr);
  }
  CHECK(opt.steps() == static_cast<int64_t>(lrs.size()));
  double worst = 0;
  for (size_t k = 0; k < params.size(); ++k) {
    const float* p = params[k].param.value().data();
    for (size_t i = 0; i < refs[k].p.size(); ++i) {
      worst = std::max(worst, std::abs(p[i] - refs[k].p[i]) / (1.0 + std::abs(refs[k].p[i])));
    }
  }
  // fp32 arithmetic over 6 steps of size ~lr: errors are a few ulps of 1 (~1e-7); a wrong
  // bias correction or decay order is off by >= 1e-4.
  CHECK(worst < 2e-6);
}

TEST_CASE("AdamW first step equals a hand-computed value") {
  // p0 = 1, g = 0.5, lr = 0.1, wd = 0.1, betas (0.9, 0.95), eps = 1e-8:
  //   decay: p = 1 * (1 - 0.01) = 0.99
  //   m = 0.05, v = 0.05 * 0.25 = 0.0125; m_hat = 0.5, sqrt(v_hat) = sqrt(0.25) = 0.5
  //   p = 0.99 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.89 (+2e-9)
  // A parameter with decay = false ends at 1 - 0.1 = 0.9.
  Var a(Tensor::from({1.0f}, {1}), true), b(Tensor::from({1.0f}, {1}), true);
  a.grad() = Tensor::from({0.5f}, {1});
  b.grad() = Tensor::from({0.5f}, {1});
  AdamW opt({{"a", a, true}, {"b", b, false}}, {0.1, 0.9, 0.95, 1e-8, 0.1});
  opt.step(0.1);
  CHECK(a.value().item() == doctest::Approx(0.89).epsilon(1e-7));
  CHECK(b.value().item() == doctest::Approx(0.9).epsilon(1e-7));
  // Second step with the same gradient: m = 0.095, v = 0.024375, bc1 = 0.19, bc2 = 0.0975
  // -> m_hat = 0.5, sqrt(v_hat) = 0.5: another -lr step after decay.
  opt.step(0.1);
  CHECK(a.value().item() == doctest::Approx(0.89 * 0.99 - 0.1).epsilon(1e-6));
  CHECK(b.value().item() == doctest::Approx(0.8).epsilon(1e-6));
}

TEST_CASE("AdamW matches torch.optim.AdamW") {
  // Values printed by tests/train/adamw_torch_reference.py (Debian python3-torch 1.13.1,
  // foreach=False, fp32): two parameter groups (weight decay 0.1 and 0), three steps with
  // learning rates 1e-2, 5e-3, 2e-2, betas (0.9, 0.95), eps 1e-8. Element 3 of `a` gets a zero
  // gradient first (0/(0+eps) must not move it). torch 1.13 updates exp_avg as
  // m*beta1 + g*(1-beta1) where newer versions use lerp; both agree to an ulp or so. When
  // written, 7 of the 8 parameter values were bit-identical to torch's and one was 1 ulp off.
  Var a(Tensor::from({1.0f, -0.5f, 0.25f, 2.0f, -3.0f}, {5}), true);
  Var b(Tensor::from({0.75f, -1.25f, 0.0f}, {3}), true);
  AdamW opt({{"a", a, true}, {"b", b, false}}, {1e-2, 0.9, 0.95, 1e-8, 0.1});
  const std::vector<std::vector<float>> ga = {
      {0.5f, -0.25f, 1.0f, 0.0f, -2.0f}, {0.1f, 0.3f, -0.7f, 0.2f, -1.5f}, {-0.4f, 0.05f, 0.9f, -0.3f, 0.6f}};
  const std::vector<std::vector<float>> gb = {{0.2f, -0.1f, 0.05f}, {0.0f, 0.4f, -0.3f}, {1.0f, -1.0f, 0.5f}};
  const double lrs[] = {1e-2, 5e-3, 2e-2};
  for (int s = 0; s < 3; ++s) {
    a.grad() = Tensor::from(ga[s], {5});
    b.grad() = Tensor::from(gb[s], {3});
    opt.step(lrs[s]);
  }
  const std::vector<float> torch_a = {0.980590165f, -0.492842495f, 0.229418084f, 1.99352026f, -2.96266174f};
  const std::vector<float> torch_b = {0.722377658f, -1.2344265f, -0.012718318f};
  const std::vector<float> torch_v_a = {0.0197562501f, 0.00722031249f, 0.108899996f, 0.0064000003f,
                                        0.30537501f};
  for (int i = 0; i < 5; ++i) CHECK(a.value().at(i) == doctest::Approx(torch_a[i]).epsilon(1e-6));
  for (int i = 0; i < 3; ++i) CHECK(b.value().at(i) == doctest::Approx(torch_b[i]).epsilon(1e-6).scale(1e-2));
  auto state = opt.state();
  REQUIRE(state[2].first == "exp_avg_sq.a");
  for (int i = 0; i < 5; ++i) CHECK(state[2].second.at(i) == doctest::Approx(torch_v_a[i]).epsilon(1e-6));
}

TEST_CASE("AdamW skips parameters without a gradient, including their step count") {
  Var a(Tensor::from({1.0f, 2.0f}, {2}), true), b(Tensor::from({3.0f}, {1}), true);
  AdamW opt({{"a", a, true}, {"b", b, true}}, {});
  a.grad() = Tensor::from({0.1f, -0.1f}, {2});
  opt.step(1e-2);
  CHECK(b.value().item() == 3.0f);  // untouched, not even decayed
  CHECK(a.value().at(0) < 1.0f);
  // b now gets its first gradient: its bias correction must be the first step's (t = 1), so
  // the update is -lr * sign(g) (up to eps) after decay.
  b.grad() = Tensor::from({2.0f}, {1});
  opt.step(1e-2);
  CHECK(b.value().item() == doctest::Approx(3.0 * (1 - 1e-3) - 1e-2).epsilon(1e-6));
  auto st = opt.state();
  for (auto& [name, t] : st) {
    if (name == "step") CHECK(t.item() == 2.0f);
    if (name == "step.a") CHECK(t.item() == 2.0f);
    if (name == "step.b") CHECK(t.item() == 1.0f);
  }
  opt.zero_grad();
  CHECK(!a.grad().defined());
  CHECK(!b.grad().defined());
}

TEST_CASE("AdamW state round-trips exactly") {
  std::mt19937_64 rng(7);
  auto make_params = [&](std::mt19937_64& r) {
    return std::vector<ParamRef>{
        {"w", Var(Tensor::from(random_values(40000, r, 1.0f), {200, 200}), true), true},
        {"norm.weight", Var(Tensor::from(random_values(5, r, 1.0f), {5}), true), false}};
  };
  std::mt19937_64 init_rng(1);
  std::vector<ParamRef> p1 = make_params(init_rng);
  AdamW opt1(p1, {});
  std::vector<std::vector<std::vector<float>>> grads;  // [step][param]
  for (int s = 0; s < 5; ++s) {
    grads.push_back({random_values(40000, rng, 1.0f), random_values(5, rng, 1.0f)});
  }
  auto apply = [&](std::vector<ParamRef>& ps, AdamW& opt, int s) {
    ps[0].param.grad() = Tensor::from(grads[s][0], {200, 200});
    ps[1].param.grad() = Tensor::from(grads[s][1], {5});
    opt.step(1e-3 * (s + 1));
  };
  for (int s = 0; s < 3; ++s) apply(p1, opt1, s);
  auto saved_state = opt1.state();
  std::vector<Tensor> saved_values = {p1[0].param.value().clone(), p1[1].param.value().clone()};
  for (int s = 3; s < 5; ++s) apply(p1, opt1, s);

  // A fresh optimizer over parameters restored to the step-3 values continues identically.
  std::mt19937_64 other_rng(99);
  std::vector<ParamRef> p2 = make_params(other_rng);
  p2[0].param.value() = saved_values[0].clone();
  p2[1].param.value() = saved_values[1].clone();
  AdamW opt2(p2, {});
  opt2.load_state(saved_state);
  CHECK(opt2.steps() == 3);
  for (int s = 3; s < 5; ++s) apply(p2, opt2, s);
  CHECK(p1[0].param.value().to_vector() == p2[0].param.value().to_vector());
  CHECK(p1[1].param.value().to_vector() == p2[1].param.value().to_vector());
  auto s1 = opt1.state(), s2 = opt2.state();
  REQUIRE(s1.size() == s2.size());
  for (size_t i = 0; i < s1.size(); ++i) {
    CHECK(s1[i].first == s2[i].first);
    CHECK(s1[i].second.to_vector() == s2[i].second.to_vector());
  }
}

TEST_CASE("AdamW load_state names missing, mismatched and unknown tensors") {
  Var w(Tensor::zeros({2, 3}), true);
  AdamW opt({{"layers.0.w", w, true}}, {});
  auto good = opt.state();
  auto message = [&](std::vector<std::pair<std::string, Tensor>> st) -> std::string {
    try {
      opt.load_state(st);
    } catch (const Error& e) {
      return e.message();
    }
    return "";
  };
  CHECK(message(good).empty());

  auto missing = good;
  missing.erase(missing.begin() + 2);  // exp_avg_sq.layers.0.w
  CHECK(message(missing).find("no 'exp_avg_sq.layers.0.w'") != std::string::npos);

  auto wrong_shape = good;
  wrong_shape[1].second = Tensor::zeros({3, 2});
  std::string msg = message(wrong_shape);
  CHECK(msg.find("'exp_avg.layers.0.w' has shape (3, 2)") != std::string::npos);
  CHECK(msg.find("(2, 3)") != std::string::npos);

  auto extra = good;
  extra.emplace_back("exp_avg.layers.1.w", Tensor::zeros({2, 3}));
  CHECK(message(extra).find("'exp_avg.layers.1.w'") != std::string::npos);

  auto bad_step = good;
  bad_step[0].second = Tensor::scalar(2.5f);
  CHECK(message(bad_step).find("whole number") != std::string::npos);

  // A failed load leaves the optimizer usable and unchanged.
  w.grad() = Tensor::full({2, 3}, 1.0f);
  opt.step(1e-3);
  CHECK(opt.steps() == 1);
}

TEST_CASE("AdamW rejects bad options and parameter lists") {
  Var w(Tensor::zeros({2}), true);
  CHECK_THROWS_AS(AdamW({{"w", w, true}}, {1e-3, 1.0, 0.95, 1e-8, 0.1}), Error);
  CHECK_THROWS_AS(AdamW({{"w", w, true}}, {1e-3, 0.9, 0.95, 0.0, 0.1}), Error);
  CHECK_THROWS_AS(AdamW({{"w", w, true}, {"w", w, true}}, {}), Error);
  CHECK_THROWS_AS(AdamW({{"", w, true}}, {}), Error);
  AdamW opt({{"w", w, true}}, {});
  w.grad() = Tensor::zeros({3});
  CHECK_THROWS_AS(opt.step(1e-3), Error);
  w.grad() = Tensor::zeros({2});
  CHECK_THROWS_AS(opt.step(std::nan("")), Error);
}

TEST_CASE("AdamW result does not depend on the thread count") {
  auto run = [](int threads) {
    set_threads(threads);
    std::mt19937_64 rng(3);
    Var w(Tensor::from(random_values(100003, rng, 1.0f), {100003}), true);
    AdamW opt({{"w", w, true}}, {});
    for (int s = 0; s < 3; ++s) {
      w.grad() = Tensor::from(random_values(100003, rng, 1.0f), {100003});
      opt.step(1e-2);
    }
    return w.value().to_vector();
  };
  auto one = run(1);
  auto two = run(2);
  set_threads(0);
  CHECK(one == two);
}

TEST_CASE("default_decay excludes norms, biases, embeddings and convolution taps") {
  CHECK(default_decay("layers.3.attn.q_proj.weight", 2));
  CHECK(default_decay("output.weight", 2));
  CHECK_FALSE(default_decay("tok_embeddings.weight", 2));
  CHECK_FALSE(default_decay("layers.0.attn_norm.weight", 1));
  CHECK_FALSE(default_decay("layers.0.norm.weight", 2));  // by name even if 2-D
  CHECK_FALSE(default_decay("layers.0.mlp.fc1.bias", 1));
  CHECK_FALSE(default_decay("some.scalar", 0));                // 0/1-D tensors never decay
  CHECK_FALSE(default_decay("layers.1.attn.k_conv.taps", 2));  // model.kv_conv: mixing around the identity
  CHECK_FALSE(default_decay("layers.1.attn.q_conv.taps", 2));  // model.q_conv: likewise
  CHECK(default_decay("tok_embeddings.weight", 2, true));
  CHECK(default_decay("layers.0.mlp.fc1.bias", 1, true));
}
