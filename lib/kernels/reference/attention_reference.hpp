#pragma once
// Plain-loop reference twins of the attention kernels, in double precision, written straight
// from the definitions (DESIGN §2) so a reader can check them against the papers. Slow
// (O(T^2) per head whatever the kind): for tests and `longnet bench attention --check` only.
// Same layouts and window semantics as kernels/attention/attention_kernel.hpp; the rotation of
// positions is not applied here either (see rotate_pairs_reference), XPOS's decay is.
#include <cstdint>

#include "kernels/attention/attention_kernel.hpp"

namespace ln::reference {

// How many times key position m is in the key multiset of query position n (head h of H) in a
// sequence of N positions: 0 or 1 for dense and sparse; for dilated, the number of patterns
// (w, r) in which n and m share a segment, both sit on head h's offset, and (causal) m <= n.
int key_multiplicity(const AttentionSpec& spec, int64_t heads, int64_t h, int64_t n, int64_t m, int64_t N);

// Global position of key row j of head h (handles keys_sparsified).
int64_t key_position(const AttentionSpec& spec, const AttentionDims& dims, const AttentionWindow& window,
                     int64_t h, int64_t j);

// One softmax per query over its key multiset (multiplicities from key_multiplicity), with
// XPOS's decay zeta^((n - m)/scale_base) on each score when spec.positions == xpos.
// q: (B, H, Tq, D), k, v: (B, H, Tk, D) -> o: (B, H, Tq, D), lse: (B, H, Tq).
void attention_forward_multiset(const AttentionSpec& spec, const AttentionDims& dims,
                                const AttentionWindow& window, const double* q, const double* k,
                                const double* v, double* o, double* lse);

// The exact gradient, as DESIGN §2 writes it: for every (pattern, key) pair of query i,
// P = exp(s_ik - L_i), dS = P (dO_i . v_k - D_i), dq_i += dS ds/dq, dk_k += dS ds/dk, dv_k += P dO_i,
// with L and O recomputed here. Overwrites dq, dk, dv.
void attention_backward_multiset(const AttentionSpec& spec, const AttentionDims& dims,
                                 const AttentionWindow& window, const double* q, const double* k,
                                 const double* v, const double* dout, double* dq, double* dk, double* dv);

// Dilated attention in the paper's closed form: per pattern, gather each segment's sparse
// queries and keys, attend (causal inside the sparse segment), scatter back at stride w',
// then merge the patterns: L = logsumexp_p L_p, O = sum_p exp(L_p - L) O_p.
// Full sequence only (no windows). Kind must be dilated.
void dilated_attention_forward_closed_form(const AttentionSpec& spec, const AttentionDims& dims,
                                           const double* q, const double* k, const double* v, double* o,
                                           double* lse);

// x: (R, T, D), rotated in place by the angle (pos0 + t) * base^(-2j/D) per pair (2j, 2j+1).
void rotate_pairs_reference(double* x, int64_t rows, int64_t T, int64_t D, int64_t pos0, double base,
                            bool inverse);

}  // namespace ln::reference
