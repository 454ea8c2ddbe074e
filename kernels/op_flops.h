// FLOPs of the ops the GPT uses (attention, gradient clipping, and the transcendental ones at
// their real cost), counted as the chain's
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

// det_erf's most expensive path, |x| in [1.5, 4): |x| select 1, 3 range comparisons, u 2, 14
// fmaf (28), x^2 hi 1 and lo fmaf 2, det_exp, e - e*lo 2, 1 - e*q 2, the sign select 1.
inline constexpr uint64_t kDetErfFlops = 42 + kDetExpFlops;
// det_log on a normal input: 4 special-case comparisons, the subnormal scaling (priced always)
// 1, the sqrt(2) comparison and halving 2, f 1, s 2, z 1, 4 fmaf (8), R*z 1, hfsq 2, e*ln2_hi
// 1, s*(hfsq+R) 2, e*ln2_lo 1, the four adds and subtractions of the result 4.
inline constexpr uint64_t kDetLogFlops = 30;

// ops::gelu_fwd per element: x*s, det_erf, 1+, 0.5*x, the product.
inline constexpr uint64_t kGeluFwdFlops = 4 + kDetErfFlops;
// ops::gelu_bwd per element: the cdf (x*s, det_erf, 1+, 0.5*) 3 + erf, the pdf (x*x, -0.5*,
// det_exp, * 1/sqrt(2 pi)) 3 + exp, x*pdf, cdf+, dy* 3.
inline constexpr uint64_t kGeluBwdFlops = 9 + kDetErfFlops + kDetExpFlops;

// ops::layernorm_fwd over rows x C: sum C, mean 1, (x-mean)^2 summed 3C, var 1, + eps, sqrt and
// 1/ 3, y 4C.
inline constexpr uint64_t layernorm_fwd_flops(uint64_t rows, uint64_t C) {
    return rows * (8 * C + 5);
}
// ops::layernorm_bwd: the two sums (xhat 2, dxhat 1, 3 adds and a multiply) 6C, 2 divides, dx
// (xhat 2, dxhat 1, 4 more) 7C, dw and db (xhat 2, multiply, 2 adds) 5C.
inline constexpr uint64_t layernorm_bwd_flops(uint64_t rows, uint64_t C) {
    return rows * (18 * C + 2);
}

// ops::xent_fwd_bwd over rows x V (transcendentals at their cost): the max V-1 comparisons, the
// sum (subtract, det_exp, add) per class, det_log, lse and loss 2, the gradient (subtract,
// det_exp, divide, p - t, / B) per class.
inline constexpr uint64_t xent_flops(uint64_t rows, uint64_t V) {
    return rows * ((V - 1) + V * (2 + kDetExpFlops) + kDetLogFlops + 2 + V * (4 + kDetExpFlops));
}

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
