#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <set>

#include "autograd/var.hpp"
#include "core/error.hpp"
#include "nn/language_model.hpp"

using namespace ln;

namespace {
ModelSpec tiny_spec(AttentionKind kind, bool subln = false, bool tied = true) {
  ModelSpec s;
  s.vocab_size = 29;
  s.d_model = 16;
  s.layers = 2;
  s.heads = 2;
  s.mlp_ratio = 2;
  s.subln = subln;
  s.tie_embeddings = tied;
  s.attention.kind = kind;
  s.attention.segments = {4, 8};
  s.attention.dilations = {1, 2};
  s.attention.sparse_block = 4;
  s.attention.sparse_summary = 2;
  s.attention.positions = PositionKind::xpos;
  return s;
}

std::vector<int32_t> token_ids(int64_t n, int32_t vocab, int salt = 0) {
  std::vector<int32_t> ids(n);
  for (int64_t i = 0; i < n; ++i) ids[i] = static_cast<int32_t>((i * 7 + 3 + salt * 11) % vocab);
  return ids;
}
// Every layer's q, k and v convolution taps (2 layers: 6 tensors) equal the ones written out.
void check_start_taps(LanguageModel& m, const std::vector<float>& keys, const std::vector<float>& values,
                      const std::vector<float>& queries) {
  int taps = 0;
  for (auto& [name, var] : m.parameters()) {
    CAPTURE(name);
    if (name.find("_conv.taps") == std::string::npos) continue;
    const char role = name[name.find("_conv.taps") - 1];
    CHECK(var.value().to_vector() == (role == 'k' ? keys : role == 'v' ? values : queries));
    ++taps;
  }
  CHECK(taps == 6);
}
}  // namespace

TEST_CASE("parameter names are stable and counted") {
  LanguageModel tied(tiny_spec(AttentionKind::dilated), 1);
  std::vector<std::string> names;
  for (auto& [name, var] : tied.parameters()) names.push_back(name);
  CHECK(names.front() == "tok_embeddings.weight");
  CHECK(names[1] == "layers.0.attn_norm.weight");
  CHECK(std::find(names.begin(), names.end(), "layers.1.attn.q_proj.weight") != names.end());
  CHECK(std::find(names.begin(), names.end(), "layers.1.mlp.fc2.bias") != names.end());
  CHECK(names.back() == "norm.bias");
  CHECK(std::set<std::string>(names.begin(), names.end()).size() == names.size());
  // C = 16, hidden 32, V = 29, L = 2: embeddings + per layer (2 norms, 4 projections, MLP) + final norm
  const int64_t per_layer = 2 * 32 + 4 * (16 * 16 + 16) + (16 * 32 + 32) + (32 * 16 + 16);
  CHECK(tied.parameter_count() == 29 * 16 + 2 * per_layer + 32);

  LanguageModel untied(tiny_spec(AttentionKind::dilated, true, false), 1);
  auto params = untied.parameters();
  CHECK(params.back().first == "output.weight");
  CHECK(LanguageModel::count_parameters(tiny_spec(AttentionKind::dilated)) == tied.parameter_count());
  CHECK(LanguageModel::count_parameters(tiny_spec(AttentionKind::dilated, true, false)) ==
        untied.parameter_count());
  int inner = 0;
  for (auto& [name, var] : params) inner += name.find("inner_norm") != std::string::npos;
  CHECK(inner == 2 * 2 * 2);  // weight+bias, attn+mlp, 2 layers

  // model.head_dim 12: queries, keys and values A = 2 x 12 = 24 wide, the model C = 16.
  ModelSpec wide = tiny_spec(AttentionKind::dilated, true, true);
  wide.head_width = 12;
  wide.kv_conv = 3;
  wide.q_conv = true;
  LanguageModel w(wide, 1);
  std::map<std::string, Shape> shape;
  for (auto& [name, var] : w.parameters()) shape[name] = var.shape();
  CHECK(shape["layers.0.attn.q_proj.weight"] == Shape{24, 16});
  CHECK(shape["layers.0.attn.v_proj.bias"] == Shape{24});
  CHECK(shape["layers.0.attn.out_proj.weight"] == Shape{16, 24});
  CHECK(shape["layers.0.attn.inner_norm.weight"] == Shape{24});
  CHECK(shape["layers.0.attn.q_conv.taps"] == Shape{2, 24});
  CHECK(shape["layers.1.attn.k_conv.taps"] == Shape{2, 24});
  const int64_t wide_layer = 2 * 32 + 3 * (16 * 24 + 24) + (24 * 16 + 16) + 2 * 24 /*attn inner norm*/ +
                             (16 * 32 + 32) + 2 * 32 + (32 * 16 + 16) + 3 * 2 * 24 /*q, k, v taps*/;
  CHECK(w.parameter_count() == 29 * 16 + 2 * wide_layer + 32);
  CHECK(LanguageModel::count_parameters(wide) == w.parameter_count());
}

TEST_CASE("initialisation is a pure function of the seed, with the documented scale") {
  ModelSpec spec = tiny_spec(AttentionKind::dilated);
  spec.d_model = 64;
  spec.heads = 4;
  LanguageModel a(spec, 7), b(spec, 7), c(spec, 8);
  auto pa = a.parameters(), pb = b.parameters(), pc = c.parameters();
  for (size_t i = 0; i < pa.size(); ++i)
    CHECK(pa[i].second.value().to_vector() == pb[i].second.value().to_vector());
  CHECK(pa[0].second.value().to_vector() != pc[0].second.value().to_vector());
  auto stddev = [](const Tensor& t) {
    double s = 0, s2 = 0;
    for (float v : t.to_vector()) s += v, s2 += double(v) * v;
    double n = t.numel(), m = s / n;
    return std::sqrt(s2 / n - m * m);
  };
  for (auto& [name, var] : pa) {
    if (name == "layers.0.attn.q_proj.weight")
      CHECK(stddev(var.value()) == doctest::Approx(0.02).epsilon(0.05));
    if (name == "layers.0.mlp.fc2.weight")
      CHECK(stddev(var.value()) == doctest::Approx(0.02 / 2.0).epsilon(0.05));
    if (name == "layers.0.attn.q_proj.bias") CHECK(stddev(var.value()) == 0.0);
  }
}

TEST_CASE("the model is causal for every attention kind") {
  for (auto kind : {AttentionKind::dilated, AttentionKind::dense, AttentionKind::sparse}) {
    CAPTURE(static_cast<int>(kind));
    LanguageModel model(tiny_spec(kind), 3);
    NoGradGuard no_grad;
    const int64_t T = 13;
    auto ids = token_ids(T, 29);
    Tensor full = model.logits(ids, 1, T).value();
    ids[9] = (ids[9] + 5) % 29;  // change a later token
    Tensor changed = model.logits(ids, 1, T).value();
    const int64_t V = 29;
    for (int64_t t = 0; t < T; ++t) {
      double diff = 0;
      for (int64_t v = 0; v < V; ++v)
        diff = std::max(diff, double(std::abs(full.data()[t * V + v] - changed.data()[t * V + v])));
      if (t < 9)
        CHECK(diff == 0.0);
      else
        CHECK(diff > 0.0);
    }
  }
}

TEST_CASE("loss gradients of every parameter match finite differences") {
  // fp32 central differences of a scalar loss ~3.4 with eps 1e-2: rounding error
  // ~ 2^-24 * 3.4 / 1e-2 ~ 2e-5 and truncation ~ 1e-5, far below a wrong gradient.
  for (int variant : {0, 1, 2, 3, 4}) {
    CAPTURE(variant);
    const bool subln = variant == 1 || variant == 4;
    ModelSpec spec = tiny_spec(AttentionKind::dilated, subln, !subln);
    if (variant >= 2) spec.kv_conv = 3;     // the convolution's taps and what flows through them
    spec.q_conv = variant >= 3;             // and the queries' (their taps are among the parameters)
    if (variant == 4) spec.head_width = 6;  // model.head_dim: A = 12 while C = 16
    LanguageModel model(spec, 5);
    // Larger-than-default weights so every path carries signal.
    for (auto& [name, var] : model.parameters()) {
      float* p = var.value().data();
      for (int64_t i = 0; i < var.numel(); ++i) p[i] += 0.3f * std::sin(0.7f * i + name.size());
    }
    const int64_t B = 2, T = 11;
    auto ids = token_ids(B * T, 29), targets = token_ids(B * T, 29, 1);
    targets[3] = -1;  // ignored
    Var loss = model.loss(ids, targets, B, T);
    loss.backward();
    auto loss_value = [&] {
      NoGradGuard g;
      return double(model.loss(ids, targets, B, T).value().item());
    };
    for (auto& [name, var] : model.parameters()) {
      CAPTURE(name);
      REQUIRE(var.grad().defined());
      float* p = var.value().data();
      const int64_t n = var.numel();
      for (int64_t i : {int64_t{0}, n / 2, n - 1}) {
        const float saved = p[i];
        const float eps = 1e-2f;
        p[i] = saved + eps;
        double up = loss_value();
        p[i] = saved - eps;
        double down = loss_value();
        p[i] = saved;
        double fd = (up - down) / (2.0 * eps);
        double got = var.grad().data()[i];
        CHECK(std::abs(got - fd) <= 2e-3 + 2e-2 * std::abs(fd));
      }
    }
  }
}

TEST_CASE("load_parameters restores weights and refuses mismatches") {
  ModelSpec spec = tiny_spec(AttentionKind::dense);
  LanguageModel a(spec, 1), b(spec, 2);
  std::vector<std::pair<std::string, Tensor>> saved;
  for (auto& [name, var] : a.parameters()) saved.emplace_back(name, var.value().clone());
  b.load_parameters(saved, "test");
  auto pb = b.parameters();
  for (size_t i = 0; i < saved.size(); ++i)
    CHECK(pb[i].second.value().to_vector() == saved[i].second.to_vector());

  auto missing = saved;
  missing.pop_back();
  CHECK_THROWS_AS(b.load_parameters(missing, "test"), Error);
  auto extra = saved;
  extra.emplace_back("bogus.weight", Tensor::zeros({1}));
  CHECK_THROWS_AS(b.load_parameters(extra, "test"), Error);
  auto wrong = saved;
  wrong[0].second = Tensor::zeros({3, 3});
  CHECK_THROWS_AS(b.load_parameters(wrong, "test"), Error);
}

TEST_CASE("invalid model specs are refused before allocation") {
  ModelSpec spec = tiny_spec(AttentionKind::dilated);
  spec.heads = 3;  // 16 is not a multiple of 3
  CHECK_THROWS_AS(LanguageModel(spec, 1), Error);
  spec = tiny_spec(AttentionKind::dilated);
  spec.vocab_size = 1;
  CHECK_THROWS_AS(LanguageModel(spec, 1), Error);
}

TEST_CASE(
    "model.kv_conv: zero taps at init leave the model's function unchanged; taps are counted and named") {
  ModelSpec plain = tiny_spec(AttentionKind::dilated), conv = plain;
  conv.kv_conv = 4;
  LanguageModel a(plain, 9), b(conv, 9);
  CHECK(b.parameter_count() == a.parameter_count() + 2 * 2 * 3 * 16);  // L * (k, v) * (K-1) * C
  CHECK(LanguageModel::count_parameters(conv) == b.parameter_count());
  int taps = 0;
  for (auto& [name, var] : b.parameters())
    if (name.find("_conv.taps") != std::string::npos) {
      ++taps;
      CHECK(var.shape() == Shape{3, 16});
      for (float v : var.value().to_vector()) CHECK(v == 0.0f);
    }
  CHECK(taps == 4);
  NoGradGuard no_grad;
  const auto ids = token_ids(13, 29);
  const auto la = a.logits(ids, 1, 13).value().to_vector(), lb = b.logits(ids, 1, 13).value().to_vector();
  REQUIRE(la.size() == lb.size());
  for (size_t i = 0; i < la.size(); ++i) CHECK(lb[i] == doctest::Approx(la[i]).epsilon(1e-5));
  // Non-zero taps change later positions only through earlier keys: position 0 has none.
  for (auto& [name, var] : b.parameters())
    if (name.find("_conv.taps") != std::string::npos)
      for (int64_t i = 0; i < var.numel(); ++i) var.value().data()[i] = 0.5f;
  const auto lc = b.logits(ids, 1, 13).value().to_vector();
  for (int64_t v = 0; v < 29; ++v) CHECK(lc[v] == doctest::Approx(la[v]).epsilon(1e-5));
  double moved = 0;
  for (size_t i = 29; i < la.size(); ++i) moved = std::max(moved, double(std::abs(lc[i] - la[i])));
  CHECK(moved > 1e-4);
  ModelSpec bad = plain;
  bad.kv_conv = 0;
  CHECK_THROWS_AS(LanguageModel(bad, 1), ln::Error);
}

TEST_CASE("model.kv_conv_init box: every tap starts at 1, every other weight as with identity taps") {
  ModelSpec identity = tiny_spec(AttentionKind::dilated);
  identity.kv_conv = 3;
  ModelSpec box = identity;
  box.kv_conv_init = KvConvInit::box;
  LanguageModel a(identity, 6), b(box, 6);
  auto pa = a.parameters(), pb = b.parameters();
  REQUIRE(pa.size() == pb.size());
  int taps = 0;
  for (size_t i = 0; i < pa.size(); ++i) {
    CAPTURE(pa[i].first);
    if (pa[i].first.find("_conv.taps") != std::string::npos) {
      ++taps;
      for (float v : pb[i].second.value().to_vector()) CHECK(v == 1.0f);
      pa[i].second.value().fill(1.0f);  // by hand: the identity model becomes the box one
    }
    CHECK(pb[i].second.value().to_vector() == pa[i].second.value().to_vector());
  }
  CHECK(taps == 4);
  NoGradGuard no_grad;
  const auto ids = token_ids(11, 29);
  CHECK(a.logits(ids, 1, 11).value().to_vector() == b.logits(ids, 1, 11).value().to_vector());
  box.kv_conv = 1;  // no taps to start at 1
  CHECK_THROWS_WITH_AS(LanguageModel(box, 1), doctest::Contains("model.kv_conv_init is box"), Error);
}

TEST_CASE(
    "model.kv_conv_init shifted: head h's key tap a+1 and value tap a start at 1, a = floor(h/S) mod S") {
  ModelSpec spec = tiny_spec(AttentionKind::dilated);
  spec.heads = 8;    // head dim 2
  spec.kv_conv = 3;  // S = 2 taps: shifts a = 0, 0, 1, 1, 0, 0, 1, 1 (heads 0..7)
  spec.kv_conv_init = KvConvInit::shifted;
  LanguageModel m(spec, 3);
  // Rows are taps 1 and 2 back; two channels per head. By hand from the rule above:
  const std::vector<float> keys = {1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0,    // tap 1: a = 0 heads
                                   0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1};   // tap 2: a = 1 heads
  const std::vector<float> values = {0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1,  // tap 1: a = 1 heads
                                     0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  int taps = 0;
  for (auto& [name, var] : m.parameters()) {
    CAPTURE(name);
    const bool k = name.find("k_conv.taps") != std::string::npos,
               v = name.find("v_conv.taps") != std::string::npos;
    if (!k && !v) continue;
    CHECK(var.value().to_vector() == (k ? keys : values));
    ++taps;
  }
  CHECK(taps == 4);
  spec.kv_conv = 1;
  CHECK_THROWS_WITH_AS(LanguageModel(spec, 1), doctest::Contains("model.kv_conv_init is shifted"), Error);
}

TEST_CASE(
    "model.q_conv: query taps start at 0 whatever kv_conv_init; the function is the model's without them") {
  for (KvConvInit init : {KvConvInit::identity, KvConvInit::box, KvConvInit::shifted}) {
    CAPTURE(std::string(enum_name(kKvConvInitNames, init)));
    ModelSpec plain = tiny_spec(AttentionKind::dilated);
    plain.kv_conv = 3;
    plain.kv_conv_init = init;
    plain.init_std = 0.3f;  // peaked attention: a query that changes moves the logits visibly
    ModelSpec conv = plain;
    conv.q_conv = true;
    LanguageModel a(plain, 9), b(conv, 9);
    CHECK(b.parameter_count() == a.parameter_count() + 2 * 2 * 16);  // L * (K-1) * C
    CHECK(LanguageModel::count_parameters(conv) == b.parameter_count());
    // Every weight the two share starts the same (k, v taps by kv_conv_init); the q taps are 0.
    auto pa = a.parameters(), pb = b.parameters();
    size_t i = 0;
    int q_taps = 0;
    for (auto& [name, var] : pb) {
      CAPTURE(name);
      if (name.find("q_conv.taps") != std::string::npos) {
        CHECK(name == "layers." + std::to_string(q_taps++) + ".attn.q_conv.taps");
        CHECK(var.shape() == Shape{2, 16});
        for (float v : var.value().to_vector()) CHECK(v == 0.0f);
        continue;
      }
      REQUIRE(i < pa.size());
      CHECK(pa[i].first == name);
      CHECK(pa[i++].second.value().to_vector() == var.value().to_vector());
    }
    CHECK(i == pa.size());
    CHECK(q_taps == 2);
    NoGradGuard no_grad;
    const auto ids = token_ids(13, 29);
    const auto la = a.logits(ids, 1, 13).value().to_vector();
    CHECK(b.logits(ids, 1, 13).value().to_vector() == la);  // bit for bit
    // Non-zero query taps move the later positions (so the equality above is no accident). Not
    // position 0, which has no earlier query to mix in, nor 8, the start of both patterns'
    // segments, which sees only its own key whatever its query holds.
    for (auto& [name, var] : b.parameters())
      if (name.find("q_conv.taps") != std::string::npos)
        for (int64_t j = 0; j < var.numel(); ++j) var.value().data()[j] = 0.5f * std::cos(0.9f * j);
    const auto lb = b.logits(ids, 1, 13).value().to_vector();
    for (int64_t v = 0; v < 29; ++v) CHECK(lb[v] == la[v]);
    for (int64_t t = 1; t < 13; ++t) {
      if (t == 8) continue;
      double moved = 0;
      for (int64_t v = 0; v < 29; ++v)
        moved = std::max(moved, double(std::abs(lb[t * 29 + v] - la[t * 29 + v])));
      CAPTURE(t);
      CHECK(moved > 1e-4);
    }
  }
  ModelSpec lonely = tiny_spec(AttentionKind::dilated);
  lonely.q_conv = true;  // model.kv_conv stays 1: no width to share
  CHECK_THROWS_WITH_AS(LanguageModel(lonely, 1),
                       doctest::Contains("model.q_conv is true but model.kv_conv is 1"), Error);
}

TEST_CASE(
    "model.q_conv_init pair: on top of shifted (S = K-2), query tap 1 and key tap a+2 in each head's second "
    "half") {
  ModelSpec spec = tiny_spec(AttentionKind::dilated);
  spec.heads = 4;    // head dim 4: channels 2, 3 of each head are its second half
  spec.kv_conv = 4;  // taps 1..3; with the pair, S = 2 shifts: a = 0, 0, 1, 1 (heads 0..3)
  spec.kv_conv_init = KvConvInit::shifted;
  spec.q_conv = true;
  spec.q_conv_init = QConvInit::pair;
  LanguageModel m(spec, 3);
  // Rows are taps 1, 2, 3 back, 16 channels each (4 heads of 4). By hand from the rule above:
  // keys: tap a+1 on all of head h's channels, tap a+2 on its second half.
  const std::vector<float> keys = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0,    // tap 1: a = 0
                                   0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,    // tap 2
                                   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1};   // tap 3: a = 1, pair
  const std::vector<float> values = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  // tap 1: a = 1
                                     0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                     0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const std::vector<float> queries = {0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1,  // tap 1, second halves
                                      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  check_start_taps(m, keys, values, queries);
  // Each rule it builds on, refused by name.
  ModelSpec no_q = spec;
  no_q.q_conv = false;
  CHECK_THROWS_WITH_AS(LanguageModel(no_q, 1),
                       doctest::Contains("model.q_conv_init is pair but model.q_conv is false"), Error);
  ModelSpec box = spec;
  box.kv_conv_init = KvConvInit::box;
  CHECK_THROWS_WITH_AS(LanguageModel(box, 1),
                       doctest::Contains("model.q_conv_init is pair but model.kv_conv_init is not shifted"),
                       Error);
  ModelSpec narrow = spec;
  narrow.kv_conv = 2;
  CHECK_THROWS_WITH_AS(LanguageModel(narrow, 1),
                       doctest::Contains("model.q_conv_init is pair but model.kv_conv is 2"), Error);
}

TEST_CASE(
    "model.q_conv_init triple: three channel groups, group g with query taps 1..g and key taps a+1..a+1+g") {
  ModelSpec spec = tiny_spec(AttentionKind::dilated);
  spec.heads = 4;
  spec.head_width = 3;  // one channel per group: channel g of each head is its group g
  spec.attention.positions = PositionKind::none;  // xpos rotates channel pairs: an odd width has none
  spec.kv_conv = 5;  // taps 1..4; with the triple, S = 2 shifts: a = 0, 0, 1, 1 (heads 0..3)
  spec.kv_conv_init = KvConvInit::shifted;
  spec.q_conv = true;
  spec.q_conv_init = QConvInit::triple;
  LanguageModel m(spec, 3);
  // Rows are taps 1..4 back, 12 channels each (4 heads of 3), written out from the rule.
  const std::vector<float> keys = {1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,  // tap 1: a = 0, every group
                                   0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1,  // tap 2: a = 0 groups 1, 2; a = 1 all
                                   0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1,  // tap 3
                                   0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1};   // tap 4: a = 1, group 2
  const std::vector<float> values = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1,  // tap 1: a = 1
                                     0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                     0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const std::vector<float> queries = {0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1,  // tap 1: groups 1, 2
                                      0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1,  // tap 2: group 2
                                      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  check_start_taps(m, keys, values, queries);
  ModelSpec narrow = spec;
  narrow.kv_conv = 3;  // a three-token key needs the taps 1 to 3
  CHECK_THROWS_WITH_AS(LanguageModel(narrow, 1),
                       doctest::Contains("model.q_conv_init is triple but model.kv_conv is 3"), Error);
  narrow.kv_conv = 4;  // one shift
  CHECK_NOTHROW(LanguageModel(narrow, 1));
}

TEST_CASE("model.tie_qk_init: k_proj starts as q_proj's copy, every other weight as without it") {
  ModelSpec plain = tiny_spec(AttentionKind::dilated), tied = plain;
  tied.tie_qk_init = true;
  LanguageModel a(plain, 4), b(tied, 4);
  auto pa = a.parameters(), pb = b.parameters();
  REQUIRE(pa.size() == pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    CAPTURE(pa[i].first);
    const std::string& name = pa[i].first;
    if (name.find("k_proj.weight") != std::string::npos) {
      const std::string q = name.substr(0, name.find("k_proj")) + "q_proj.weight";
      for (auto& [n, v] : pb)
        if (n == q) CHECK(pb[i].second.value().to_vector() == v.value().to_vector());
      CHECK(pb[i].second.value().to_vector() != pa[i].second.value().to_vector());
    } else {
      CHECK(pb[i].second.value().to_vector() == pa[i].second.value().to_vector());
    }
  }
}
