// The shipped long-context configs: they load, warn about nothing, cover the whole sequence
// with their widest pattern, and fit the 24 GiB box by the trainer's own estimate.
#include <doctest/doctest.h>

#include <filesystem>

#include "config/config.hpp"
#include "kernels/attention/attention_spec.hpp"
#include "nn/language_model.hpp"
#include "run/model_builder.hpp"
#include "train/memory_estimate.hpp"

using namespace ln;

TEST_CASE("configs/long-64k.yaml and long-1m.yaml are usable as shipped") {
  const std::filesystem::path dir = std::filesystem::path(LONGNET_SOURCE_DIR) / "configs";
  for (auto [name, seq] :
       {std::pair{"long-64k.yaml", int64_t{65536}}, std::pair{"long-1m.yaml", int64_t{1048576}}}) {
    CAPTURE(name);
    const Config c = load_config((dir / name).string(), {});
    CHECK(c.data.seq_len == seq);
    CHECK(c.train.recompute == Recompute::blocks);
    const ModelSpec spec = model_spec_from_config(c, c.tokenizer.vocab_size);
    CHECK(attention_spec_warnings(spec.attention, spec.heads).empty());       // heads >= every dilation
    CHECK(spec.attention.segments.back() >= seq);                             // the widest sees everything
    CHECK(xpos_max_log_factor(spec.attention, spec.head_dim(), seq) < 80.0);  // the attention op's limit
    const MemoryEstimate e = estimate_training_memory(spec, LanguageModel::count_parameters(spec),
                                                      c.train.batch_size, seq, c.train.recompute);
    CHECK(e.total() < (uint64_t{22} << 30));
  }
}
