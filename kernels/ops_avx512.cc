// AVX-512 body of the SGD-momentum fast path (compiled with -mavx512f; called only when
// detect_simd() reports AVX-512). The same three IEEE operations per element as ops.h in the
// same order, a separate multiply and add (the project's -ffp-contract=off keeps them apart), 16
// lanes at a time; the tail runs the scalar definition.
#include <immintrin.h>

#include "kernels/ops_avx2.h"

namespace step::kernels::detail {

void sgd_momentum_avx512(float* p, const float* g, float* buf, size_t i0, size_t i1, float lr,
                         float momentum, float wd) {
    constexpr size_t kLanes = 16;
    const __m512 vlr = _mm512_set1_ps(lr), vmom = _mm512_set1_ps(momentum),
                 vwd = _mm512_set1_ps(wd);
    size_t i = i0;
    for (; i + kLanes <= i1; i += kLanes) {
        __m512 vp = _mm512_loadu_ps(p + i);
        __m512 gi = _mm512_add_ps(_mm512_loadu_ps(g + i), _mm512_mul_ps(vwd, vp));     // g + wd*p
        __m512 vb = _mm512_add_ps(_mm512_mul_ps(vmom, _mm512_loadu_ps(buf + i)), gi);  // m*buf + g'
        _mm512_storeu_ps(buf + i, vb);
        _mm512_storeu_ps(p + i, _mm512_sub_ps(vp, _mm512_mul_ps(vlr, vb)));  // p - lr*buf
    }
    for (; i < i1; ++i) {
        float gi = g[i] + wd * p[i];
        buf[i] = momentum * buf[i] + gi;
        p[i] = p[i] - lr * buf[i];
    }
}

}  // namespace step::kernels::detail
