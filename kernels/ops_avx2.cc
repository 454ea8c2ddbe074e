// AVX2 bodies of kernels/ops_fast.h. Each vector statement is the scalar statement of ops.h
// applied to 8 lanes (IEEE binary32, round to nearest even, no contraction: the file is built
// without -mfma and the project with -ffp-contract=off); the tails run the scalar statements.
#include "kernels/ops_avx2.h"

#include <immintrin.h>

namespace step::kernels::detail {

namespace {
constexpr size_t kLanes = 8;

// x > 0 ? v : +0.0f, lane-wise: the ordered compare is false for NaN, and and-ing with a false
// mask gives the bits of +0.0f.
__m256 where_positive(__m256 x, __m256 v) {
    return _mm256_and_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ), v);
}
}  // namespace

void bias_add_avx2(const float* x, const float* b, float* y, size_t r0, size_t r1, int cols) {
    const size_t C = static_cast<size_t>(cols);
    for (size_t r = r0; r < r1; ++r) {
        const float* xr = x + r * C;
        float* yr = y + r * C;
        size_t c = 0;
        for (; c + kLanes <= C; c += kLanes)
            _mm256_storeu_ps(yr + c, _mm256_add_ps(_mm256_loadu_ps(xr + c), _mm256_loadu_ps(b + c)));
        for (; c < C; ++c) yr[c] = xr[c] + b[c];
    }
}

void bias_grad_avx2(const float* dy, float* db, int rows, int cols, size_t c0, size_t c1) {
    const size_t C = static_cast<size_t>(cols);
    size_t c = c0;
    for (; c + kLanes <= c1; c += kLanes) {
        __m256 acc = _mm256_setzero_ps();
        for (int r = 0; r < rows; ++r)
            acc = _mm256_add_ps(acc, _mm256_loadu_ps(dy + static_cast<size_t>(r) * C + c));
        _mm256_storeu_ps(db + c, acc);
    }
    for (; c < c1; ++c) {
        float acc = 0.0f;
        for (int r = 0; r < rows; ++r) acc = acc + dy[static_cast<size_t>(r) * C + c];
        db[c] = acc;
    }
}

void relu_fwd_avx2(const float* x, float* y, size_t i0, size_t i1) {
    size_t i = i0;
    for (; i + kLanes <= i1; i += kLanes) {
        __m256 v = _mm256_loadu_ps(x + i);
        _mm256_storeu_ps(y + i, where_positive(v, v));
    }
    for (; i < i1; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void relu_bwd_avx2(const float* x, const float* dy, float* dx, size_t i0, size_t i1) {
    size_t i = i0;
    for (; i + kLanes <= i1; i += kLanes)
        _mm256_storeu_ps(dx + i, where_positive(_mm256_loadu_ps(x + i), _mm256_loadu_ps(dy + i)));
    for (; i < i1; ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

void pixels_avx2(const uint8_t* r, float* x, int n) {
    const __m256 d = _mm256_set1_ps(255.0f);
    const size_t count = n > 0 ? static_cast<size_t>(n) : 0;
    size_t j = 0;
    for (; j + kLanes <= count; j += kLanes) {
        const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(r + j));
        const __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
        _mm256_storeu_ps(x + j, _mm256_div_ps(v, d));
    }
    for (; j < count; ++j) x[j] = static_cast<float>(r[j]) / 255.0f;
}

void sgd_momentum_avx2(float* p, const float* g, float* buf, size_t i0, size_t i1, float lr,
                       float momentum, float wd) {
    const __m256 vlr = _mm256_set1_ps(lr), vmom = _mm256_set1_ps(momentum),
                 vwd = _mm256_set1_ps(wd);
    size_t i = i0;
    for (; i + kLanes <= i1; i += kLanes) {
        __m256 vp = _mm256_loadu_ps(p + i);
        __m256 gi = _mm256_add_ps(_mm256_loadu_ps(g + i), _mm256_mul_ps(vwd, vp));   // g + wd*p
        __m256 vb = _mm256_add_ps(_mm256_mul_ps(vmom, _mm256_loadu_ps(buf + i)), gi);  // m*buf + g'
        _mm256_storeu_ps(buf + i, vb);
        _mm256_storeu_ps(p + i, _mm256_sub_ps(vp, _mm256_mul_ps(vlr, vb)));          // p - lr*buf
    }
    for (; i < i1; ++i) {
        float gi = g[i] + wd * p[i];
        buf[i] = momentum * buf[i] + gi;
        p[i] = p[i] - lr * buf[i];
    }
}

void adamw_avx2(float* p, const float* g, float* m, float* v, size_t i0, size_t i1, float lr,
                float beta1, float beta2, float omb1, float omb2, float c1, float c2, float eps,
                float wd) {
    const __m256 vb1 = _mm256_set1_ps(beta1), vb2 = _mm256_set1_ps(beta2);
    const __m256 vomb1 = _mm256_set1_ps(omb1), vomb2 = _mm256_set1_ps(omb2);
    const __m256 vc1 = _mm256_set1_ps(c1), vc2 = _mm256_set1_ps(c2);
    const __m256 veps = _mm256_set1_ps(eps), vlr = _mm256_set1_ps(lr), vwd = _mm256_set1_ps(wd);
    size_t i = i0;
    for (; i + kLanes <= i1; i += kLanes) {
        __m256 vg = _mm256_loadu_ps(g + i);
        __m256 vm = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(vomb1, vg));
        __m256 vv = _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(v + i)),
                                  _mm256_mul_ps(vomb2, _mm256_mul_ps(vg, vg)));
        _mm256_storeu_ps(m + i, vm);
        _mm256_storeu_ps(v + i, vv);
        __m256 mhat = _mm256_div_ps(vm, vc1);
        __m256 vhat = _mm256_div_ps(vv, vc2);
        __m256 vp = _mm256_loadu_ps(p + i);
        vp = _mm256_sub_ps(vp, _mm256_mul_ps(vlr, _mm256_mul_ps(vwd, vp)));
        __m256 step = _mm256_div_ps(mhat, _mm256_add_ps(_mm256_sqrt_ps(vhat), veps));
        _mm256_storeu_ps(p + i, _mm256_sub_ps(vp, _mm256_mul_ps(vlr, step)));
    }
    for (; i < i1; ++i) {
        m[i] = beta1 * m[i] + omb1 * g[i];
        v[i] = beta2 * v[i] + omb2 * (g[i] * g[i]);
        float mhat = m[i] / c1;
        float vhat = v[i] / c2;
        p[i] = p[i] - lr * (wd * p[i]);
        // __builtin_sqrtf: exactly rounded like std::sqrt, with no inline libstdc++ code compiled
        // for AVX2 here (see ops_avx2.h).
        p[i] = p[i] - lr * (mhat / (__builtin_sqrtf(vhat) + eps));
    }
}

}  // namespace step::kernels::detail
