// DESIGN §2 invariant (3): the full causal forward equals token-by-token decoding with the KV
// cache at every position, for every attention kind, pattern set, head-offset rule and
// position encoding, with prompts shorter and longer than w_max and across segment boundaries.
//
// Tolerance: |Δlogit| <= 1e-5 * max(1, max |logit|). Both sides are fp32 computations of the
// same expression in different orders (the kernels' 64-key tiles with online rescaling and
// exp2 vs one softmax per pattern here; oneDNN's GEMM blocking for N rows vs one row), so each
// op differs by a few ulps times sqrt(terms), ~1e-7..1e-6 relative; the largest difference
// observed over all cases below is 6.7e-7 of the logit scale, 15x inside the tolerance. A real
// mistake (one key too many or too few, a wrong decay factor or head offset) moves logits by
// 1e-3 of their scale or more with these weights (init_std 0.3 makes attention peaked); the
// mutation cases check that the comparison sees such mistakes.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "autograd/var.hpp"
#include "core/error.hpp"
#include "generate/generator.hpp"
#include "generate/kv_cache.hpp"
#include "kv_cache_test_util.hpp"
#include "nn/language_model.hpp"

using namespace ln;

using ln::test::random_ids;

namespace {

ModelSpec spec_of(AttentionKind kind, std::vector<int64_t> segments, std::vector<int64_t> dilations,
                  HeadOffset rule, PositionKind positions, int64_t heads = 4) {
  ModelSpec s;
  s.vocab_size = 37;
  s.heads = heads;
  s.d_model = 8 * heads;  // D = 8
  s.layers = 2;
  s.mlp_ratio = 2;
  s.init_std = 0.3f;  // peaked attention: a wrong key set shows in the logits
  s.attention = ln::test::attention_of(kind, std::move(segments), std::move(dilations), rule, positions);
  return s;
}

// (N, V) logits of the full causal forward.
std::vector<float> full_logits(const LanguageModel& model, const std::vector<int32_t>& ids) {
  NoGradGuard no_grad;
  return model.logits(ids, 1, static_cast<int64_t>(ids.size())).value().to_vector();
}

// Rows [prompt - 1, N) of the logits from the prompt pass + incremental decoding, laid out like
// full_logits (rows before prompt - 1 are left 0).
std::vector<float> decoded_logits(const LanguageModel& model, const std::vector<int32_t>& ids, int64_t prompt,
                                  int64_t capacity) {
  const int64_t N = static_cast<int64_t>(ids.size()), V = model.spec().vocab_size;
  std::vector<float> out(static_cast<size_t>(N * V), 0.f);
  Generator gen(model, capacity);
  Tensor l = gen.prompt(std::vector<int32_t>(ids.begin(), ids.begin() + prompt));
  std::copy_n(l.data(), V, out.data() + (prompt - 1) * V);
  for (int64_t t = prompt; t < N; ++t) {
    l = gen.next(ids[t]);
    std::copy_n(l.data(), V, out.data() + t * V);
  }
  return out;
}

constexpr double kDecodeTolerance = 1e-5;

struct Diff {
  double max_abs = 0, scale = 1;
  bool ok() const { return max_abs <= kDecodeTolerance * scale; }
  bool far() const { return max_abs > 100 * kDecodeTolerance * scale; }  // clearly a different function
};

Diff compare(const std::vector<float>& full, const std::vector<float>& dec, int64_t from_row, int64_t V) {
  Diff d;
  for (size_t i = static_cast<size_t>(from_row * V); i < full.size(); ++i) {
    d.max_abs = std::max(d.max_abs, static_cast<double>(std::abs(full[i] - dec[i])));
    d.scale = std::max(d.scale, static_cast<double>(std::abs(full[i])));
  }
  return d;
}

// model.kv_conv's and q_conv's taps start at 0 (the identity): give them weight so the
// history matters, different for every tensor (a q/k mix-up would show). `only` restricts it to
// the taps whose name contains it.
void weigh_conv_taps(const LanguageModel& model, const std::string& only = "_conv.taps") {
  for (auto& [name, var] : model.parameters()) {
    if (name.find("_conv.taps") == std::string::npos || name.find(only) == std::string::npos) continue;
    float phase = 0;
    for (char ch : name) phase += 0.7f * static_cast<float>(ch);
    for (int64_t i = 0; i < var.numel(); ++i) var.value().data()[i] = 0.5f * std::sin(1.3f * i + phase);
  }
}

void check_exact(const ModelSpec& spec, int64_t N, const std::vector<int64_t>& prompts,
                 int64_t extra_capacity = 0) {
  LanguageModel model(spec, 7);
  weigh_conv_taps(model);
  const auto ids = random_ids(N, static_cast<int32_t>(spec.vocab_size), 11);
  const auto full = full_logits(model, ids);
  for (int64_t prompt : prompts) {
    CAPTURE(prompt);
    CAPTURE(extra_capacity);
    const auto dec = decoded_logits(model, ids, prompt, N + extra_capacity);
    Diff d = compare(full, dec, prompt - 1, spec.vocab_size);
    CAPTURE(d.max_abs);
    CAPTURE(d.scale);
    CHECK(d.ok());
  }
}

}  // namespace

TEST_CASE("dilated: incremental decoding equals the full forward (mod and block rules, all positions)") {
  // w_max = 16, N = 40: two segment boundaries; prompts of 1 token, shorter than w_max, exactly
  // w_max, ending just before a boundary, and longer than w_max.
  for (HeadOffset rule : {HeadOffset::mod, HeadOffset::block}) {
    for (PositionKind pos : {PositionKind::xpos, PositionKind::rope, PositionKind::none}) {
      CAPTURE(to_string(rule));
      CAPTURE(to_string(pos));
      // 6 heads, dilation 4: the two rules give different offsets (block leaves offset 3 unused).
      check_exact(spec_of(AttentionKind::dilated, {4, 8, 16}, {1, 2, 4}, rule, pos, 6), 40,
                  {1, 5, 16, 31, 33});
    }
  }
}

TEST_CASE("dilated: other pattern sets") {
  SUBCASE("segments that are not multiples of each other") {
    check_exact(spec_of(AttentionKind::dilated, {3, 10}, {1, 2}, HeadOffset::mod, PositionKind::xpos), 37,
                {1, 9, 22});
  }
  SUBCASE("no dilation-1 pattern: some rows reach no key (output 0) in some heads") {
    check_exact(spec_of(AttentionKind::dilated, {6, 12}, {2, 3}, HeadOffset::mod, PositionKind::xpos), 30,
                {1, 7, 13});
  }
  SUBCASE("one pattern (w, r) with dilation above the head count") {
    check_exact(spec_of(AttentionKind::dilated, {12}, {6}, HeadOffset::block, PositionKind::rope), 30,
                {2, 14});
  }
  SUBCASE("segments longer than the sequence (w' = min(w, N)), any cache capacity") {
    const ModelSpec s =
        spec_of(AttentionKind::dilated, {8, 64, 128}, {1, 2, 4}, HeadOffset::mod, PositionKind::xpos);
    check_exact(s, 40, {3, 20});
    check_exact(s, 40, {3, 20}, 50);  // capacity 90: other XPOS centres, the same attention
  }
  SUBCASE(
      "model.kv_conv (and model.q_conv): the convolution's raw rows carry over from the prompt into "
      "decoding") {
    for (bool q_conv : {false, true})
      for (int64_t K : {2, 5}) {
        CAPTURE(q_conv);
        CAPTURE(K);
        ModelSpec s =
            spec_of(AttentionKind::dilated, {4, 8, 16}, {1, 2, 4}, HeadOffset::mod, PositionKind::rope);
        s.kv_conv = K;
        s.q_conv = q_conv;
        if (q_conv) {
          // The query taps matter: the forward with them is far from the one without, so a decoder
          // that ignored them (or their history) could not pass check_exact.
          LanguageModel with(s, 7), without(s, 7);
          weigh_conv_taps(with);
          weigh_conv_taps(without, "attn.k_conv");
          weigh_conv_taps(without, "attn.v_conv");
          const auto ids = random_ids(40, static_cast<int32_t>(s.vocab_size), 11);
          CHECK(compare(full_logits(with, ids), full_logits(without, ids), 1, s.vocab_size).far());
        }
        check_exact(s, 40, {1, 3, 16, 33});
        s.attention =
            ln::test::attention_of(AttentionKind::dense, {16}, {1}, HeadOffset::mod, PositionKind::xpos);
        check_exact(s, 25, {1, 4, 12});
      }
  }
  SUBCASE("model.head_dim (A = H x D != C) with the pair start's convolved queries") {
    ModelSpec s = spec_of(AttentionKind::dilated, {4, 8, 16}, {1, 2, 4}, HeadOffset::mod, PositionKind::xpos);
    s.head_width = s.head_dim() + 2;
    s.kv_conv = 4;
    s.kv_conv_init = KvConvInit::shifted;
    s.q_conv = true;
    s.q_conv_init = QConvInit::pair;
    s.subln = true;  // its attention norm is A wide
    check_exact(s, 40, {1, 3, 16, 33});
  }
  SUBCASE("attention.dense_queries: every position reads each head's keys of its segment so far") {
    ModelSpec s = spec_of(AttentionKind::dilated, {4, 8, 16}, {1, 2, 4}, HeadOffset::mod, PositionKind::xpos);
    s.attention.dense_queries = true;
    check_exact(s, 40, {1, 3, 16, 33});
    // Off the grid the answer differs from the paper's (so the check above sees the option).
    ModelSpec paper = s;
    paper.attention.dense_queries = false;
    LanguageModel a(s, 7), b(paper, 7);
    const auto ids = random_ids(40, static_cast<int32_t>(s.vocab_size), 11);
    CHECK(compare(full_logits(a, ids), full_logits(b, ids), 1, s.vocab_size).far());
  }
  SUBCASE("sub-LayerNorm and an untied head") {
    ModelSpec s = spec_of(AttentionKind::dilated, {4, 8}, {1, 2}, HeadOffset::mod, PositionKind::xpos);
    s.subln = true;
    s.tie_embeddings = false;
    check_exact(s, 24, {1, 10});
  }
}

TEST_CASE("dense and sparse models decode exactly too") {
  for (PositionKind pos : {PositionKind::xpos, PositionKind::rope}) {
    CAPTURE(to_string(pos));
    check_exact(spec_of(AttentionKind::dense, {16}, {1}, HeadOffset::mod, pos), 33, {1, 12, 20});
    // sparse: block 8, 3 summary columns; prompts inside the first block, mid-block, on a boundary
    check_exact(spec_of(AttentionKind::sparse, {16}, {1}, HeadOffset::mod, pos), 41, {1, 5, 16, 27});
  }
  check_exact(spec_of(AttentionKind::dense, {16}, {1}, HeadOffset::mod, PositionKind::xpos), 33, {4}, 31);
}

TEST_CASE("the exactness check sees a wrong cache (mutations)") {
  // Decode with a cache built for a subtly different attention: the logits must differ by far
  // more than the tolerance, else the test above could not fail.
  const ModelSpec right =
      spec_of(AttentionKind::dilated, {4, 8, 16}, {1, 2, 4}, HeadOffset::mod, PositionKind::xpos, 6);
  LanguageModel model(right, 7);
  const int64_t N = 40, prompt = 5, V = right.vocab_size;
  const auto ids = random_ids(N, static_cast<int32_t>(V), 11);
  const auto full = full_logits(model, ids);
  auto decode_with = [&](const ModelSpec& cache_spec) {
    std::vector<float> out(static_cast<size_t>(N * V), 0.f);
    KvCache cache(cache_spec, N);
    ForwardOptions options;
    int64_t layer = 0;
    options.kv_observer = [&](const Tensor& k, const Tensor& v, const Tensor&, const Tensor&, const Tensor&) {
      cache.add_prompt_layer(layer++, k, v);
    };
    (void)model.prefill(std::vector<int32_t>(ids.begin(), ids.begin() + prompt), options);
    for (int64_t t = prompt; t < N; ++t)
      std::copy_n(model.decode_step(ids[t], t, cache).data(), V, out.data() + t * V);
    return compare(full, out, prompt, V);
  };
  CHECK(decode_with(right).ok());
  ModelSpec m = right;
  m.attention.head_offset = HeadOffset::block;
  CHECK(decode_with(m).far());
  m = right;
  m.attention.dilations = {1, 2, 2};
  CHECK(decode_with(m).far());
  m = right;
  m.attention.xpos_scale_base = 17.f;
  CHECK(decode_with(m).far());
  m = right;
  m.attention.positions = PositionKind::rope;
  CHECK(decode_with(m).far());
}

TEST_CASE("dilated cache: work and memory per token do not grow with the text") {
  // Patterns (4,1), (8,2), (16,4), 6 heads, 2 layers: a token reads at most Σ_p w_p / r_p = 12
  // keys per head and layer, and the work at position t repeats with period w_max = 16.
  const ModelSpec spec =
      spec_of(AttentionKind::dilated, {4, 8, 16}, {1, 2, 4}, HeadOffset::mod, PositionKind::xpos, 6);
  LanguageModel model(spec, 3);
  const int64_t N = 200;
  const auto ids = random_ids(N, static_cast<int32_t>(spec.vocab_size), 5);
  Generator gen(model, N);
  gen.prompt({ids[0]});
  std::vector<int64_t> per_token(static_cast<size_t>(N), 0);
  for (int64_t t = 1; t < N; ++t) {
    const int64_t before = gen.cache().keys_read();
    gen.next(ids[t]);
    per_token[t] = gen.cache().keys_read() - before;
    CHECK(per_token[t] <= 2 * 6 * 12);
    CHECK(per_token[t] >= 2 * 6 * 1);  // (4,1) always takes part: the token itself at least
  }
  for (int64_t t = 20; t + 16 < N; ++t) CHECK(per_token[t] == per_token[t + 16]);
  // Storage: Σ_p ceil(w_p / r_p) keys and values per head and layer, whatever the capacity.
  const int64_t expected = 2 /*layers*/ * 6 /*heads*/ * (4 + 4 + 4) * 8 /*D*/ * 2 /*k, v*/ * 4 /*bytes*/;
  CHECK(KvCache(spec, 64).bytes() == expected);
  CHECK(KvCache(spec, 1'000'000).bytes() == expected);
}

TEST_CASE("KV cache errors") {
  const ModelSpec spec = spec_of(AttentionKind::dilated, {4, 8}, {1, 2}, HeadOffset::mod, PositionKind::xpos);
  LanguageModel model(spec, 1);
  Generator gen(model, 6);
  CHECK_THROWS_WITH_AS(gen.next(1), doctest::Contains("run the prompt first"), Error);
  CHECK_THROWS_WITH_AS(gen.prompt({}), doctest::Contains("no tokens"), Error);
  CHECK_THROWS_WITH_AS(gen.prompt({1, 2, 3, 4, 5, 6, 7}), doctest::Contains("holds 6 positions"), Error);
  gen.prompt({1, 2, 3, 4, 5});
  gen.next(3);  // position 5, the last one
  CHECK_THROWS_WITH_AS(gen.next(3), doctest::Contains("capacity"), Error);
  ModelSpec bidir = spec;
  bidir.attention.causal = false;
  CHECK_THROWS_WITH_AS(KvCache(bidir, 8), doctest::Contains("causal"), Error);
}
