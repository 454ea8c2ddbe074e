// Optimiser and state-arithmetic ops (definitions in ops.h). Element-wise: any split is exact.
#include <cmath>

#include "kernels/detmath.h"
#include "kernels/ops.h"
#include "kernels/ops_util.h"

namespace step::kernels::ops {

using detail::for_blocks;
using detail::kElementGrain;

void sgd_momentum(const Exec& ex, float* p, const float* g, float* buf, size_t n, float lr,
                  float momentum, float wd) {
    for_blocks(ex, n, kElementGrain, [&](size_t i0, size_t i1) {
        for (size_t i = i0; i < i1; ++i) {
            float gi = g[i] + wd * p[i];
            buf[i] = momentum * buf[i] + gi;
            p[i] = p[i] - lr * buf[i];
        }
    });
}

void adamw(const Exec& ex, float* p, const float* g, float* m, float* v, size_t n, float lr,
           float beta1, float beta2, float eps, float wd, float b1t, float b2t) {
    const float omb1 = 1.0f - beta1, omb2 = 1.0f - beta2;
    const float c1 = 1.0f - b1t, c2 = 1.0f - b2t;
    for_blocks(ex, n, kElementGrain, [&](size_t i0, size_t i1) {
        for (size_t i = i0; i < i1; ++i) {
            m[i] = beta1 * m[i] + omb1 * g[i];
            v[i] = beta2 * v[i] + omb2 * (g[i] * g[i]);
            float mhat = m[i] / c1;
            float vhat = v[i] / c2;
            p[i] = p[i] - lr * (wd * p[i]);
            p[i] = p[i] - lr * (mhat / (std::sqrt(vhat) + eps));
        }
    });
}

void add_inplace(const Exec& ex, float* acc, const float* x, size_t n) {
    for_blocks(ex, n, kElementGrain, [&](size_t i0, size_t i1) {
        for (size_t i = i0; i < i1; ++i) acc[i] = acc[i] + x[i];
    });
}

void div_inplace(const Exec& ex, float* x, size_t n, float d) {
    for_blocks(ex, n, kElementGrain, [&](size_t i0, size_t i1) {
        for (size_t i = i0; i < i1; ++i) x[i] = x[i] / d;
    });
}

void canonicalize_nan(float* x, size_t n) {
    const float qnan = bits_float(kCanonicalNaN);
    for (size_t i = 0; i < n; ++i)
        if (det_isnan(x[i])) x[i] = qnan;
}

}  // namespace step::kernels::ops
