// Internal to ops_fast.cc: the AVX2+FMA bodies of GELU (gelu_avx2.cc, compiled with -mavx2
// -mfma) over index ranges. Every lane runs ops.h's GELU with detmath.h's det_erf and det_exp
// (kernels/detmath_avx2.h), so the bits are the reference's. Plain declarations only, so no AVX2
// code can leak into scalar callers through inline functions.
#pragma once

#include <cstddef>

namespace step::kernels::detail {

// ops.h's constants, passed in because ops.h's inline functions must not be compiled here.
struct GeluConstants {
    float sqrt_half;     // kSqrtHalf
    float inv_sqrt_2pi;  // kInvSqrt2Pi
};

// y[i] = (0.5f * x[i]) * (1.0f + det_erf(x[i] * kSqrtHalf)) for i in [i0, i1).
void gelu_fwd_avx2(const float* x, float* y, size_t i0, size_t i1, GeluConstants k);
// dx[i] = dy[i] * (cdf + x[i] * pdf) for i in [i0, i1) (ops.h's definition of cdf and pdf).
void gelu_bwd_avx2(const float* x, const float* dy, float* dx, size_t i0, size_t i1,
                   GeluConstants k);

}  // namespace step::kernels::detail
