// Chooses the SIMD path of the attention tile kernels once (CPU check), overridable for tests.
#include <atomic>

#include "kernels/attention/attention_internal.hpp"
#include "kernels/attention/attention_kernel.hpp"

namespace ln {
namespace {
std::atomic<int> g_isa{static_cast<int>(AttentionIsa::automatic)};

bool cpu_has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

const attn::TileKernels kAvx512{attn::avx512::forward_tile, attn::avx512::backward_segment, "avx512"};
const attn::TileKernels kAvx2{attn::avx2::forward_tile, attn::avx2::backward_segment, "avx2"};
}  // namespace

void set_attention_isa(AttentionIsa isa) { g_isa = static_cast<int>(isa); }

const char* attention_isa_name() { return attn::tile_kernels().name; }

namespace attn {
const TileKernels& tile_kernels() {
  static const bool has512 = cpu_has_avx512();
  auto isa = static_cast<AttentionIsa>(g_isa.load());
  // Asking for AVX-512 on a CPU without it falls back to AVX2 rather than crashing.
  if (isa == AttentionIsa::avx2 || !has512) return kAvx2;
  return kAvx512;
}
}  // namespace attn

}  // namespace ln
