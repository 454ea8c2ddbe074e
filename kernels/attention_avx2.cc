// AVX2+FMA bodies of the attention fast path (compiled with -mavx2 -mfma; called only when
// detect_simd() allows it). Lanes split outputs (8 keys of a row of scores, or 8 columns of a
// weighted sum); each lane runs acc = fma(a, b, acc) over the reduction index in order from +0,
// which is the reference's det_fmaf sequence bit for bit (a fused multiply-add is exactly
// rounded either way). Tails use masked loads and a partial store.
#include "kernels/attention_avx2.h"

#include <immintrin.h>

namespace step::kernels::detail {

namespace {
constexpr int kLanes = 8;

// Lanes [0, count) set (sign bit), the rest clear.
__m256i lane_mask(int count) {
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), idx);
}

// NV vectors of accumulators: columns [0, NV*8) of the weighted sum in registers.
template <int NV>
void weighted_block(const float* w, size_t ws, const float* rows, size_t rs, int n, float* out) {
    __m256 acc[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[v] = _mm256_setzero_ps();
    for (int i = 0; i < n; ++i) {
        const __m256 wv = _mm256_broadcast_ss(w + static_cast<size_t>(i) * ws);
        const float* r = rows + static_cast<size_t>(i) * rs;
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v)
            acc[v] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(r + v * kLanes), acc[v]);
    }
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) _mm256_storeu_ps(out + v * kLanes, acc[v]);
}

// Columns [c0, c0 + count) with count <= 8 (masked lanes are never read or written).
void weighted_tail(const float* w, size_t ws, const float* rows, size_t rs, int n, int count,
                   float* out) {
    const __m256i m = lane_mask(count);
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < n; ++i)
        acc = _mm256_fmadd_ps(_mm256_broadcast_ss(w + static_cast<size_t>(i) * ws),
                              _mm256_maskload_ps(rows + static_cast<size_t>(i) * rs, m), acc);
    _mm256_maskstore_ps(out, m, acc);
}
}  // namespace

namespace {
// detmath.h's det_exp on 8 lanes: the same constants and operations in the same order
// (x * log2e then + shifter: two roundings, never fused), each special path blended per lane.
__m256 pow2i(__m256i k) {  // 2^k for k in [-126, 127]
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23));
}

__m256i clamp_k(__m256i k) {
    return _mm256_min_epi32(_mm256_max_epi32(k, _mm256_set1_epi32(-126)), _mm256_set1_epi32(127));
}

__m256 det_exp8(__m256 x) {
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
}  // namespace

float fma_chain_avx2(const float* a, const float* b, int n) {
    float acc = 0.0f;
    for (int j = 0; j < n; ++j) acc = __builtin_fmaf(a[j], b[j], acc);
    return acc;
}

void exp_shifted_avx2(float* a, int n, float m) {
    const __m256 mv = _mm256_set1_ps(m);
    int j = 0;
    for (; j + kLanes <= n; j += kLanes)
        _mm256_storeu_ps(a + j, det_exp8(_mm256_sub_ps(_mm256_loadu_ps(a + j), mv)));
    if (j < n) {
        const __m256i mask = lane_mask(n - j);
        _mm256_maskstore_ps(a + j, mask,
                            det_exp8(_mm256_sub_ps(_mm256_maskload_ps(a + j, mask), mv)));
    }
}

void dots_avx2(const float* x, const float* xt, size_t ld, int n, int D, float* out) {
    int j = 0;
    for (; j + 2 * kLanes <= n; j += 2 * kLanes) {  // two independent chains per step
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        for (int d = 0; d < D; ++d) {
            const __m256 xv = _mm256_broadcast_ss(x + d);
            const float* r = xt + static_cast<size_t>(d) * ld + j;
            a0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r), a0);
            a1 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r + kLanes), a1);
        }
        _mm256_storeu_ps(out + j, a0);
        _mm256_storeu_ps(out + j + kLanes, a1);
    }
    for (; j < n; j += kLanes) {
        const __m256i m = lane_mask(n - j);
        __m256 acc = _mm256_setzero_ps();
        for (int d = 0; d < D; ++d)
            acc = _mm256_fmadd_ps(_mm256_broadcast_ss(x + d),
                                  _mm256_maskload_ps(xt + static_cast<size_t>(d) * ld + j, m), acc);
        _mm256_maskstore_ps(out + j, m, acc);
    }
}

void weighted_rows_avx2(const float* w, size_t ws, const float* rows, size_t rs, int n, int D,
                        float* out) {
    int c = 0;
    for (; c + 4 * kLanes <= D; c += 4 * kLanes) weighted_block<4>(w, ws, rows + c, rs, n, out + c);
    for (; c + 2 * kLanes <= D; c += 2 * kLanes) weighted_block<2>(w, ws, rows + c, rs, n, out + c);
    for (; c + kLanes <= D; c += kLanes) weighted_block<1>(w, ws, rows + c, rs, n, out + c);
    if (c < D) weighted_tail(w, ws, rows + c, rs, n, D - c, out + c);
}

}  // namespace step::kernels::detail
