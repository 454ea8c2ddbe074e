// AVX2+FMA bodies of the attention fast path (compiled with -mavx2 -mfma; called only when
// detect_simd() allows it). Lanes split outputs (8 keys of a row of scores, or 8 columns of a
// weighted sum); each lane runs acc = fma(a, b, acc) over the reduction index in order from +0,
// which is the reference's det_fmaf sequence bit for bit (a fused multiply-add is exactly
// rounded either way). Tails use masked loads and a partial store.
#include "kernels/attention_avx2.h"

#include <immintrin.h>

#include "kernels/detmath_avx2.h"

namespace step::kernels::detail {

namespace {

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
