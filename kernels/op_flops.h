// FLOPs of the ops that no model uses yet (attention, gradient clipping), counted as the chain's
// FLOP measure prices a step (docs/kernels.md, "FLOP measure"): every binary32 addition,
// subtraction, multiplication, division, square root and comparison-select is 1, an fmaf is 2
// (as GEMM's 2*M*N*K counts it), a transcendental is the operations of its fixed sequence in
// kernels/detmath.h. Integer and bit operations are free. Integer and exact, like
// Model::flops_per_step.
#pragma once

#include <cstdint>

#include "kernels/ops.h"

namespace step::kernels {

// det_exp's path for results in the normal range: 2 range comparisons, x*log2e + shifter (2),
// t - shifter (1), two fmaf for the reduced argument (4), seven fmaf of the polynomial (14),
// one multiply by 2^n (1). (The two-multiply path of huge or subnormal results costs 1 more and
// is not priced separately.)
inline constexpr uint64_t kDetExpFlops = 24;

// ops::attention_fwd + attention_bwd for B sequences of T tokens, width C, H heads (D = C / H).
// Per (b, h) there are P = T(T+1)/2 causal pairs (i, j <= i) and P - T max comparisons.
// Forward per pair: score dot 2D, scale 1, s - m 1, det_exp, sum 1, divide 1, weighted sum 2D.
// Backward per pair: dp dot 2D, r fmaf 2, dp - r 1, p * () 1, * scale 1, dq 2D, dk 2D, dv 2D.
inline constexpr uint64_t attention_flops(uint64_t B, uint64_t T, uint64_t C, uint64_t H) {
    const uint64_t D = C / H, P = T * (T + 1) / 2;
    const uint64_t fwd = P * (4 * D + 4 + kDetExpFlops) + (P - T);
    const uint64_t bwd = P * (8 * D + 5);
    return B * H * (fwd + bwd);
}

// ops::clip_grad_norm over n gradients: a square and an add per element, one add per chunk part,
// then sqrt, + eps, divide, the coef comparison (4), and the scale multiply per element (priced
// always, as if every step clipped).
inline constexpr uint64_t clip_grad_norm_flops(uint64_t n) {
    return 3 * n + ops::clip_chunks(n) + 4;
}

}  // namespace step::kernels
