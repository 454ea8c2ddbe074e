// Internal to ops_fast.cc: AVX2 bodies of the fast element-wise ops over index ranges. Compiled
// with -mavx2 only (no -mfma: these definitions contain no fused multiply-add). Plain
// declarations only, so no AVX2 code can leak into scalar callers through inline functions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace step::kernels::detail {

// Rows [r0, r1) of y = x + b (b broadcast over rows).
void bias_add_avx2(const float* x, const float* b, float* y, size_t r0, size_t r1, int cols);
// Columns [c0, c1) of db = sum over rows in order, from +0.
void bias_grad_avx2(const float* dy, float* db, int rows, int cols, size_t c0, size_t c1);
// x[j] = (float)r[j] / 255.0f for j in [0, n): the exact conversion, then one correctly rounded
// division per lane, as the reference.
void pixels_avx2(const uint8_t* r, float* x, int n);
void relu_fwd_avx2(const float* x, float* y, size_t i0, size_t i1);
void relu_bwd_avx2(const float* x, const float* dy, float* dx, size_t i0, size_t i1);
void sgd_momentum_avx2(float* p, const float* g, float* buf, size_t i0, size_t i1, float lr,
                       float momentum, float wd);
// omb1 = 1 - beta1, omb2 = 1 - beta2, c1 = 1 - b1t, c2 = 1 - b2t (computed once by the caller).
void adamw_avx2(float* p, const float* g, float* m, float* v, size_t i0, size_t i1, float lr,
                float beta1, float beta2, float omb1, float omb2, float c1, float c2, float eps,
                float wd);

}  // namespace step::kernels::detail
