// kernels/detmath.h's transcendentals on 8 AVX2 lanes, for the fast paths' vector files only:
// include this from a file compiled with -mavx2 -mfma (never from a scalar file, so no AVX2
// code reaches a caller that runs without it). Each function runs the scalar definition's
// constants and IEEE operations in the same order on every lane (a multiply and an add stay two
// roundings; only det_fmaf becomes the fused instruction, which rounds once either way), and
// blends every branch and special path per lane, so every lane's bits are the scalar function's.
#pragma once

#include <immintrin.h>

namespace step::kernels::detail {

inline constexpr int kLanes = 8;

// Lanes [0, count) set (sign bit), the rest clear.
inline __m256i lane_mask(int count) {
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), idx);
}

inline __m256 pow2i(__m256i k) {  // 2^k for k in [-126, 127]
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23));
}

inline __m256i clamp_k(__m256i k) {
    return _mm256_min_epi32(_mm256_max_epi32(k, _mm256_set1_epi32(-126)), _mm256_set1_epi32(127));
}

// det_exp (x * log2e then + shifter: two roundings, never fused).
inline __m256 det_exp8(__m256 x) {
    const __m256 shifter = _mm256_set1_ps(12582912.0f);
    const __m256 t =
        _mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269502162933349609375f)), shifter);
    const __m256 n = _mm256_sub_ps(t, shifter);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);  // fmaf(-n, c, x)
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187045e-06f), r);
    __m256 p = _mm256_set1_ps(1.98412698e-04f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.38888889e-03f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.33333377e-03f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.16666679e-02f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.66666672e-01f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i k = _mm256_cvttps_epi32(n);  // n is integral: exact where it matters
    __m256 res = _mm256_mul_ps(p, pow2i(clamp_k(k)));
    const __m256 hi = _mm256_mul_ps(_mm256_mul_ps(p, pow2i(_mm256_set1_epi32(127))),
                                    pow2i(clamp_k(_mm256_sub_epi32(k, _mm256_set1_epi32(127)))));
    const __m256 lo =
        _mm256_mul_ps(_mm256_mul_ps(p, pow2i(clamp_k(_mm256_add_epi32(k, _mm256_set1_epi32(64))))),
                      pow2i(_mm256_set1_epi32(-64)));
    res = _mm256_blendv_ps(res, hi,
                           _mm256_castsi256_ps(_mm256_cmpgt_epi32(k, _mm256_set1_epi32(127))));
    res = _mm256_blendv_ps(res, lo,
                           _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(-126), k)));
    res = _mm256_blendv_ps(res, _mm256_setzero_ps(),
                           _mm256_cmp_ps(x, _mm256_set1_ps(-103.97208404541015625f), _CMP_LT_OQ));
    res = _mm256_blendv_ps(res, _mm256_castsi256_ps(_mm256_set1_epi32(0x7f800000)),
                           _mm256_cmp_ps(x, _mm256_set1_ps(88.72283935546875f), _CMP_GT_OQ));
    return _mm256_blendv_ps(res, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

inline __m256 fma8(__m256 a, __m256 b, float c) {
    return _mm256_fmadd_ps(a, b, _mm256_set1_ps(c));
}

// det_erf's branch |x| < 0.5: a * (Maclaurin series in z = a*a).
inline __m256 erf_small8(__m256 a) {
    const __m256 z = _mm256_mul_ps(a, a);
    __m256 p = _mm256_set1_ps(9.422759060e-11f);
    p = fma8(p, z, -1.229055530e-09f);
    p = fma8(p, z, 1.480719280e-08f);
    p = fma8(p, z, -1.636584470e-07f);
    p = fma8(p, z, 1.646211440e-06f);
    p = fma8(p, z, -1.492565040e-05f);
    p = fma8(p, z, 1.205533300e-04f);
    p = fma8(p, z, -8.548327020e-04f);
    p = fma8(p, z, 5.223977630e-03f);
    p = fma8(p, z, -2.686617060e-02f);
    p = fma8(p, z, 1.128379170e-01f);
    p = fma8(p, z, -3.761263890e-01f);
    p = fma8(p, z, 1.128379170e+00f);
    return _mm256_mul_ps(a, p);
}

// det_erf's branch 0.5 <= |x| < 1.5: the erf fit in u = (a - 1) / 0.5.
inline __m256 erf_mid8(__m256 a) {
    const __m256 u = _mm256_div_ps(_mm256_sub_ps(a, _mm256_set1_ps(1.0f)), _mm256_set1_ps(0.5f));
    __m256 q = _mm256_set1_ps(1.283721462e-09f);
    q = fma8(q, u, 1.704059560e-09f);
    q = fma8(q, u, -4.850949153e-08f);
    q = fma8(q, u, 4.261504927e-08f);
    q = fma8(q, u, 1.197205279e-06f);
    q = fma8(q, u, -3.682660235e-06f);
    q = fma8(q, u, -1.866008643e-05f);
    q = fma8(q, u, 1.183965069e-04f);
    q = fma8(q, u, 7.206721784e-05f);
    q = fma8(q, u, -2.162018325e-03f);
    q = fma8(q, u, 4.324036650e-03f);
    q = fma8(q, u, 1.729614660e-02f);
    q = fma8(q, u, -1.037768722e-01f);
    q = fma8(q, u, 2.075537443e-01f);
    return fma8(q, u, 8.427007794e-01f);
}

// det_erf's branch 1.5 <= |x| < 4: 1 - exp(-x^2) * erfcx(a), erfcx fitted in u = (a - 2.75) /
// 1.25, exp(-x^2) corrected for the rounding of x^2.
inline __m256 erf_tail8(__m256 a) {
    const __m256 u = _mm256_div_ps(_mm256_sub_ps(a, _mm256_set1_ps(2.75f)), _mm256_set1_ps(1.25f));
    __m256 q = _mm256_set1_ps(4.949820465e-08f);
    q = fma8(q, u, -1.768158597e-07f);
    q = fma8(q, u, 4.345342006e-07f);
    q = fma8(q, u, -1.471428277e-06f);
    q = fma8(q, u, 5.156014595e-06f);
    q = fma8(q, u, -1.680107562e-05f);
    q = fma8(q, u, 5.328113548e-05f);
    q = fma8(q, u, -1.654322696e-04f);
    q = fma8(q, u, 5.004201666e-04f);
    q = fma8(q, u, -1.471547643e-03f);
    q = fma8(q, u, 4.198197741e-03f);
    q = fma8(q, u, -1.159050316e-02f);
    q = fma8(q, u, 3.087280132e-02f);
    q = fma8(q, u, -7.904704660e-02f);
    q = fma8(q, u, 1.936620921e-01f);
    const __m256 hi = _mm256_mul_ps(a, a);
    const __m256 lo = _mm256_fmsub_ps(a, a, hi);  // fmaf(a, a, -hi)
    __m256 e = det_exp8(_mm256_xor_ps(hi, _mm256_set1_ps(-0.0f)));
    e = _mm256_sub_ps(e, _mm256_mul_ps(e, lo));
    return _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_mul_ps(e, q));
}

inline bool any_lane(__m256 mask) {
    return _mm256_movemask_ps(mask) != 0;
}

// det_erf. A branch is evaluated only when one of the 8 lanes takes it; -0 stays -0 (a = -x
// only for x < 0, as in the scalar code).
inline __m256 det_erf8(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    const __m256 a = _mm256_blendv_ps(x, _mm256_xor_ps(x, sign), neg);
    const __m256 small = _mm256_cmp_ps(a, _mm256_set1_ps(0.5f), _CMP_LT_OQ);
    const __m256 mid = _mm256_cmp_ps(a, _mm256_set1_ps(1.5f), _CMP_LT_OQ);
    const __m256 tail = _mm256_cmp_ps(a, _mm256_set1_ps(4.0f), _CMP_LT_OQ);
    __m256 r = _mm256_set1_ps(1.0f);
    if (any_lane(_mm256_andnot_ps(mid, tail))) r = _mm256_blendv_ps(r, erf_tail8(a), tail);
    if (any_lane(_mm256_andnot_ps(small, mid))) r = _mm256_blendv_ps(r, erf_mid8(a), mid);
    if (any_lane(small)) r = _mm256_blendv_ps(r, erf_small8(a), small);
    r = _mm256_blendv_ps(r, _mm256_xor_ps(r, sign), neg);
    return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

}  // namespace step::kernels::detail
