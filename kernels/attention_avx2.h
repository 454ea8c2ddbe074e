// Internal to ops_attention.cc (and ops_fast.cc's loss, for exp_shifted_avx2): the AVX2+FMA
// bodies of the attention fast path (attention_avx2.cc, compiled with -mavx2 -mfma). Each lane
// runs the reference's fmaf sequence for one output, so the bits are the reference's. Plain
// declarations only, so no AVX2 code can leak into scalar callers through inline functions.
#pragma once

#include <cstddef>

namespace step::kernels::detail {

// out[j] = (acc = +0; acc = fmaf(x[d], xt[d*ld + j], acc), d = 0..D-1) for j in [0, n): dot
// products of x with n rows stored transposed (xt[d*ld + j] = row j's element d).
void dots_avx2(const float* x, const float* xt, size_t ld, int n, int D, float* out);
// out[d] = (acc = +0; acc = fmaf(w[i*ws], rows[i*rs + d], acc), i = 0..n-1) for d in [0, D):
// a weighted sum of n rows, each output summed over the rows in order.
void weighted_rows_avx2(const float* w, size_t ws, const float* rows, size_t rs, int n, int D,
                        float* out);
// a[j] = det_exp(a[j] - m) for j in [0, n): kernels/detmath.h's det_exp, 8 lanes at a time,
// every path (NaN, overflow, underflow to 0, subnormal and huge 2^n scaling) blended per lane.
void exp_shifted_avx2(float* a, int n, float m);
// (acc = +0; acc = fmaf(a[j], b[j], acc), j = 0..n-1): one sequential chain, the hardware fmaf
// inline instead of a library call.
float fma_chain_avx2(const float* a, const float* b, int n);

}  // namespace step::kernels::detail
