// Internal to ops_attention.cc: the AVX2+FMA bodies of the attention fast path (attention_avx2.cc,
// compiled with -mavx2 -mfma). Each lane runs the reference's fmaf sequence for one output, so
// the bits are the reference's. Plain declarations only, so no AVX2 code can leak into scalar
// callers through inline functions.
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

}  // namespace step::kernels::detail
