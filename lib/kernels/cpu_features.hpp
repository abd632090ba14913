#pragma once
// Runtime CPU checks for the kernels' wider paths. The binary is built for AVX2+FMA
// (CMakeLists.txt); a kernel with an AVX-512 variant compiles it with function-level target
// attributes and calls it only when these say the CPU runs it (attention tiles, the peak probe).
namespace ln {

bool cpu_has_avx512();       // AVX-512 F, DQ, BW and VL: what the avx512 kernels are compiled for
bool cpu_has_avx512_bf16();  // the above and AVX512-BF16 (vdpbf16ps)

}  // namespace ln
