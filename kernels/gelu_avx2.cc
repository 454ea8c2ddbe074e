// AVX2+FMA bodies of GELU (compiled with -mavx2 -mfma; called only when detect_simd() allows
// it): 8 elements at a time, the tail with masked loads and a partial store.
#include "kernels/gelu_avx2.h"

#include "kernels/detmath_avx2.h"

namespace step::kernels::detail {

namespace {

__m256 gelu_fwd8(__m256 x, GeluConstants k) {
    const __m256 e = det_erf8(_mm256_mul_ps(x, _mm256_set1_ps(k.sqrt_half)));
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x),
                         _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

__m256 gelu_bwd8(__m256 v, __m256 dy, GeluConstants k) {
    const __m256 e = det_erf8(_mm256_mul_ps(v, _mm256_set1_ps(k.sqrt_half)));
    const __m256 cdf = _mm256_mul_ps(_mm256_set1_ps(0.5f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    const __m256 pdf =
        _mm256_mul_ps(det_exp8(_mm256_mul_ps(_mm256_set1_ps(-0.5f), _mm256_mul_ps(v, v))),
                      _mm256_set1_ps(k.inv_sqrt_2pi));
    return _mm256_mul_ps(dy, _mm256_add_ps(cdf, _mm256_mul_ps(v, pdf)));
}

}  // namespace

void gelu_fwd_avx2(const float* x, float* y, size_t i0, size_t i1, GeluConstants k) {
    size_t i = i0;
    for (; i + kLanes <= i1; i += kLanes)
        _mm256_storeu_ps(y + i, gelu_fwd8(_mm256_loadu_ps(x + i), k));
    if (i < i1) {
        const __m256i m = lane_mask(static_cast<int>(i1 - i));
        _mm256_maskstore_ps(y + i, m, gelu_fwd8(_mm256_maskload_ps(x + i, m), k));
    }
}

void gelu_bwd_avx2(const float* x, const float* dy, float* dx, size_t i0, size_t i1,
                   GeluConstants k) {
    size_t i = i0;
    for (; i + kLanes <= i1; i += kLanes)
        _mm256_storeu_ps(dx + i, gelu_bwd8(_mm256_loadu_ps(x + i), _mm256_loadu_ps(dy + i), k));
    if (i < i1) {
        const __m256i m = lane_mask(static_cast<int>(i1 - i));
        _mm256_maskstore_ps(
            dx + i, m, gelu_bwd8(_mm256_maskload_ps(x + i, m), _mm256_maskload_ps(dy + i, m), k));
    }
}

}  // namespace step::kernels::detail
