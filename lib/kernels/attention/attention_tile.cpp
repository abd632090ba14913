// Chooses the SIMD path of the attention tile kernels once (CPU check), overridable for tests:
// the ISA (AVX-512 or AVX2) and, for bf16 mode, vdpbf16ps or the exact fp32-FMA fallback.
#include <atomic>

#include "kernels/attention/attention_internal.hpp"
#include "kernels/attention/attention_kernel.hpp"
#include "kernels/cpu_features.hpp"

namespace ln {
namespace {
std::atomic<int> g_isa{static_cast<int>(AttentionIsa::automatic)};
std::atomic<int> g_bf16_dot{static_cast<int>(AttentionBf16Dot::automatic)};

const attn::TileKernels kAvx512Bf16{
    attn::avx512::forward_tile,          attn::avx512::backward_segment,          "avx512",
    attn::avx512bf16::forward_tile_bf16, attn::avx512bf16::backward_segment_bf16, "vdpbf16ps"};
const attn::TileKernels kAvx512{
    attn::avx512::forward_tile,      attn::avx512::backward_segment,      "avx512",
    attn::avx512::forward_tile_bf16, attn::avx512::backward_segment_bf16, "fma"};
const attn::TileKernels kAvx2{attn::avx2::forward_tile,      attn::avx2::backward_segment,      "avx2",
                              attn::avx2::forward_tile_bf16, attn::avx2::backward_segment_bf16, "fma"};
}  // namespace

void set_attention_isa(AttentionIsa isa) { g_isa = static_cast<int>(isa); }
void set_attention_bf16_dot(AttentionBf16Dot dot) { g_bf16_dot = static_cast<int>(dot); }

const char* attention_isa_name() { return attn::tile_kernels().name; }
const char* attention_bf16_dot_name() { return attn::tile_kernels().bf16_dot; }

namespace attn {
const TileKernels& tile_kernels() {
  static const bool has512 = cpu_has_avx512();
  static const bool has_bf16 = cpu_has_avx512_bf16();
  auto isa = static_cast<AttentionIsa>(g_isa.load());
  // Asking for AVX-512 on a CPU without it falls back to AVX2 rather than crashing.
  if (isa == AttentionIsa::avx2 || !has512) return kAvx2;
  if (has_bf16 && static_cast<AttentionBf16Dot>(g_bf16_dot.load()) == AttentionBf16Dot::automatic)
    return kAvx512Bf16;
  return kAvx512;
}
}  // namespace attn

}  // namespace ln
