#include "train/adamw.hpp"

#include <immintrin.h>

#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "core/error.hpp"
#include "core/parallel_for.hpp"
#include "core/step_profile.hpp"

namespace ln {

namespace {

// Per-tensor constants of one update, fp32 like the elementwise arithmetic.
struct AdamWCoeffs {
  float decay_factor;  // 1 - lr * weight_decay (1 when the parameter does not decay)
  float one_minus_b1;  // lerp weight of exp_avg
  float b2, one_minus_b2;
  float step_size;  // lr / (1 - beta1^t)
  float bc2_sqrt;   // sqrt(1 - beta2^t)
  float eps;
};

// The fused update over n elements, in PyTorch's operation order (see adamw.hpp). AVX2 is
// the project's baseline ISA; the scalar tail does the same operations in the same order.
// (GCC will not auto-vectorise sqrtf without -fno-math-errno, hence the intrinsics.)
void adamw_update(float* p, float* m, float* v, const float* g, int64_t n, const AdamWCoeffs& c) {
  int64_t i = 0;
  const __m256 decay = _mm256_set1_ps(c.decay_factor), w1 = _mm256_set1_ps(c.one_minus_b1);
  const __m256 b2 = _mm256_set1_ps(c.b2), w2 = _mm256_set1_ps(c.one_minus_b2);
  const __m256 step = _mm256_set1_ps(c.step_size), bc2 = _mm256_set1_ps(c.bc2_sqrt);
  const __m256 eps = _mm256_set1_ps(c.eps);
  for (; i + 8 <= n; i += 8) {
    __m256 gi = _mm256_loadu_ps(g + i);
    __m256 mi = _mm256_loadu_ps(m + i);
    __m256 vi = _mm256_loadu_ps(v + i);
    __m256 pi = _mm256_mul_ps(_mm256_loadu_ps(p + i), decay);
    mi = _mm256_add_ps(mi, _mm256_mul_ps(w1, _mm256_sub_ps(gi, mi)));
    vi = _mm256_add_ps(_mm256_mul_ps(vi, b2), _mm256_mul_ps(_mm256_mul_ps(w2, gi), gi));
    __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), bc2), eps);
    pi = _mm256_sub_ps(pi, _mm256_mul_ps(step, _mm256_div_ps(mi, denom)));
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    _mm256_storeu_ps(p + i, pi);
  }
  for (; i < n; ++i) {
    float gi = g[i];
    float pi = p[i] * c.decay_factor;
    float mi = m[i] + c.one_minus_b1 * (gi - m[i]);
    float vi = v[i] * c.b2 + (c.one_minus_b2 * gi) * gi;
    float denom = std::sqrt(vi) / c.bc2_sqrt + c.eps;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - c.step_size * (mi / denom);
  }
}

// Fixed chunks: the split never depends on the thread count (not that an elementwise update
// could tell), and each chunk is big enough to amortise scheduling.
constexpr int64_t kChunk = 1 << 15;

Tensor scalar_tensor(int64_t value) { return Tensor::scalar(static_cast<float>(value)); }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

bool default_decay(const std::string& param_name, int ndim, bool decay_norms_and_embeddings) {
  if (decay_norms_and_embeddings) return true;
  if (ndim < 2) return false;
  if (param_name.find("norm") != std::string::npos) return false;
  if (param_name.find("embeddings") != std::string::npos) return false;
  if (ends_with(param_name, ".bias")) return false;
  if (ends_with(param_name, "_conv.taps")) return false;  // mixing weights around the identity, like gains
  return true;
}

std::vector<Var> param_vars(const std::vector<ParamRef>& params) {
  std::vector<Var> out;
  out.reserve(params.size());
  for (const ParamRef& p : params) out.push_back(p.param);
  return out;
}

AdamW::AdamW(std::vector<ParamRef> params, AdamWOptions options)
    : params_(std::move(params)), options_(options) {
  auto finite = [](double x) { return std::isfinite(x); };
  LN_CHECK(finite(options_.lr) && options_.lr >= 0, "[AdamW] lr is ", options_.lr,
           "; use a finite value >= 0");
  LN_CHECK(finite(options_.beta1) && options_.beta1 >= 0 && options_.beta1 < 1, "[AdamW] beta1 is ",
           options_.beta1, "; use a value in [0, 1)");
  LN_CHECK(finite(options_.beta2) && options_.beta2 >= 0 && options_.beta2 < 1, "[AdamW] beta2 is ",
           options_.beta2, "; use a value in [0, 1)");
  LN_CHECK(finite(options_.eps) && options_.eps > 0, "[AdamW] eps is ", options_.eps,
           "; use a finite value > 0");
  LN_CHECK(finite(options_.weight_decay) && options_.weight_decay >= 0, "[AdamW] weight_decay is ",
           options_.weight_decay, "; use a finite value >= 0");
  std::unordered_set<std::string> seen;
  slots_.reserve(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    const ParamRef& p = params_[i];
    LN_CHECK(!p.name.empty(), "[AdamW] parameter #", i, " has an empty name; give every parameter a name");
    LN_CHECK(seen.insert(p.name).second, "[AdamW] parameter name '", p.name,
             "' appears twice; each parameter must be listed once");
    LN_CHECK(p.param.defined() && p.param.value().defined(), "[AdamW] parameter '", p.name,
             "' is an empty Var");
    LN_CHECK(p.param.value().dtype() == Precision::fp32, "[AdamW] parameter '", p.name, "' is ",
             precision_name(p.param.value().dtype()), "; AdamW updates fp32 parameters only");
    Slot slot;
    slot.exp_avg = Tensor::zeros(p.param.shape());
    slot.exp_avg_sq = Tensor::zeros(p.param.shape());
    slots_.push_back(std::move(slot));
  }
}

void AdamW::step(double lr) {
  const ProfileScope profile(ProfileCategory::optimizer);
  LN_CHECK(std::isfinite(lr) && lr >= 0, "[AdamW::step] learning rate is ", lr,
           "; the schedule must give a finite value >= 0");
  const AdamWOptions& o = options_;
  for (size_t i = 0; i < params_.size(); ++i) {
    ParamRef& p = params_[i];
    const Tensor& grad = p.param.grad();
    if (!grad.defined()) continue;
    Tensor& value = p.param.value();
    LN_CHECK(grad.shape() == value.shape(), "[AdamW::step] gradient of '", p.name, "' has shape ",
             shape_str(grad.shape()), " but the parameter has ", shape_str(value.shape()));
    LN_CHECK(grad.dtype() == Precision::fp32, "[AdamW::step] gradient of '", p.name, "' is ",
             precision_name(grad.dtype()), "; expected fp32");
    LN_CHECK(value.dtype() == Precision::fp32, "[AdamW::step] parameter '", p.name,
             "' is no longer f32; AdamW updates fp32 parameters only");
    Slot& s = slots_[i];
    s.step += 1;
    const double t = static_cast<double>(s.step);
    AdamWCoeffs c;
    c.decay_factor = p.decay ? static_cast<float>(1.0 - lr * o.weight_decay) : 1.0f;
    c.one_minus_b1 = static_cast<float>(1.0 - o.beta1);
    c.b2 = static_cast<float>(o.beta2);
    c.one_minus_b2 = static_cast<float>(1.0 - o.beta2);
    c.step_size = static_cast<float>(lr / (1.0 - std::pow(o.beta1, t)));
    c.bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(o.beta2, t)));
    c.eps = static_cast<float>(o.eps);

    float* pp = value.data();
    float* mp = s.exp_avg.data();
    float* vp = s.exp_avg_sq.data();
    const float* gp = grad.data();
    const int64_t n = value.numel();
    if (n <= kChunk) {
      adamw_update(pp, mp, vp, gp, n, c);
    } else {
      const int64_t chunks = (n + kChunk - 1) / kChunk;
      ln::parallel_for(int64_t{0}, chunks, [&](int64_t k) {
        const int64_t begin = k * kChunk;
        const int64_t len = std::min(kChunk, n - begin);
        adamw_update(pp + begin, mp + begin, vp + begin, gp + begin, len, c);
      });
    }
  }
  steps_ += 1;
}

void AdamW::zero_grad() {
  for (ParamRef& p : params_) p.param.zero_grad();
}

std::vector<std::pair<std::string, Tensor>> AdamW::state() const {
  constexpr int64_t kExact = int64_t{1} << 24;  // largest run of integers fp32 holds exactly
  LN_CHECK(steps_ <= kExact, "[AdamW::state] ", steps_, " steps cannot be stored exactly in the fp32 ",
           "step tensor (limit 2^24)");
  std::vector<std::pair<std::string, Tensor>> out;
  out.reserve(1 + 3 * params_.size());
  out.emplace_back("step", scalar_tensor(steps_));
  for (size_t i = 0; i < params_.size(); ++i) {
    out.emplace_back("exp_avg." + params_[i].name, slots_[i].exp_avg.clone());
    out.emplace_back("exp_avg_sq." + params_[i].name, slots_[i].exp_avg_sq.clone());
    out.emplace_back("step." + params_[i].name, scalar_tensor(slots_[i].step));
  }
  return out;
}

namespace {

int64_t read_step(const std::string& name, const Tensor& t) {
  LN_CHECK(
      t.defined() && t.numel() == 1 && t.dtype() == Precision::fp32, "[AdamW::load_state] '", name,
      "' must be a one-element f32 step count, got ",
      t.defined() ? shape_str(t.shape()) + " " + precision_name(t.dtype()) : std::string("an empty tensor"));
  const float f = t.item();
  LN_CHECK(std::isfinite(f) && f >= 0 && f == std::floor(f), "[AdamW::load_state] '", name, "' is ", f,
           "; a step count must be a whole number >= 0");
  return static_cast<int64_t>(f);
}

}  // namespace

void AdamW::load_state(const std::vector<std::pair<std::string, Tensor>>& state) {
  std::unordered_map<std::string, const Tensor*> by_name;
  for (const auto& [name, tensor] : state) {
    LN_CHECK(by_name.emplace(name, &tensor).second, "[AdamW::load_state] optimizer state has '", name,
             "' twice");
  }
  auto take = [&](const std::string& name) -> const Tensor& {
    auto it = by_name.find(name);
    LN_CHECK(it != by_name.end(), "[AdamW::load_state] optimizer state has no '", name,
             "'; the checkpoint was written for a different model (parameter names differ)");
    const Tensor& t = *it->second;
    by_name.erase(it);
    return t;
  };
  // Validate everything before changing anything, so a failed load leaves the optimizer intact.
  const int64_t steps = read_step("step", take("step"));
  std::vector<Slot> loaded(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& name = params_[i].name;
    const Shape& shape = params_[i].param.shape();
    auto moment = [&](const std::string& key) {
      const Tensor& t = take(key);
      LN_CHECK(t.defined() && t.dtype() == Precision::fp32, "[AdamW::load_state] '", key, "' must be f32");
      LN_CHECK(t.shape() == shape, "[AdamW::load_state] '", key, "' has shape ", shape_str(t.shape()),
               " but parameter '", name, "' has ", shape_str(shape),
               "; the checkpoint was written for a different model configuration");
      return t.clone();
    };
    loaded[i].exp_avg = moment("exp_avg." + name);
    loaded[i].exp_avg_sq = moment("exp_avg_sq." + name);
    loaded[i].step = read_step("step." + name, take("step." + name));
  }
  if (!by_name.empty()) {
    LN_FAIL("[AdamW::load_state] optimizer state has '", by_name.begin()->first, "' (and ",
            by_name.size() - 1,
            " more) that match no parameter of this model; the checkpoint was "
            "written for a different model");
  }
  slots_ = std::move(loaded);
  steps_ = steps;
}

}  // namespace ln
