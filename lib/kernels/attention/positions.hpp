#pragma once
// Position encodings of attention (DESIGN §2): RoPE's rotation, which XPOS shares, applied to
// q and k with global positions before any sparsification, and XPOS's decay factors, which
// the attention kernels apply per pattern measured from the segment's centre.
#include <cstdint>

namespace ln {

// x, y: (R, T, D) with R = B*H rows of heads. Rotates each pair (x[2j], x[2j+1]) of the row at
// time t by the angle (pos0 + t) * base^(-2j/D) (the interleaved pairing of torchscale's XPOS and
// GPT-J). inverse = rotate by minus the angle: the vjp, since the rotation is orthogonal.
// Angles are computed in double, so positions in the millions keep their precision. y may be x.
void rotate_pairs(const float* x, float* y, int64_t rows, int64_t T, int64_t D, int64_t pos0, float base,
                  bool inverse);
// rotate_pairs keeps the last call's whole (cos, sin) table for reuse while it has at most this
// many floats (default 16M, 64 MB); larger ones are made per block of times as they are used.
// For tests, which hold both ways to the reference.
void set_rotation_table_limit(int64_t floats);

// XPOS's per-pair decay base zeta_j = (2j + gamma*D) / ((1 + gamma) * D), j = 0 .. D/2-1.
double xpos_zeta(int64_t j, int64_t D, double gamma);

// table: (n, dp); table[o][t] = zeta_{t/2} ^ (sign * (o - centre) / scale_base) for t < D and 0 for
// the padding columns t >= D; sign = +1 for queries, -1 for keys. A query at offset n and a key at
// m then carry zeta^((n - m) / scale_base), whatever the centre.
void xpos_decay_table(float* table, int64_t n, int64_t D, int64_t dp, double centre, double gamma,
                      double scale_base, bool keys);

}  // namespace ln
