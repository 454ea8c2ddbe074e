// The project's own transcendental functions (PROTOCOL.md section 1): each is a fixed sequence
// of IEEE-754 binary32 additions, multiplications, divisions and fmaf calls, so the CPU and the
// CUDA kernels (which include this same header) compute the same bits. Never libm, never CUDA
// intrinsics. Inline so the CUDA twin compiles the identical code; nothing here may change
// without a new kKernelVersion.
//
// Measured maximum error against a double-precision reference (tests/unit/kernels/detmath_test.cc
// sweeps every binary32 in the listed ranges at a stride):
//   det_exp  : <= 2 ulp            for x in [-103, 88.7]   (subnormal results exactly rounded once)
//   det_log  : <= 2 ulp            for x in (0, inf)       (subnormal inputs included)
//   det_tanh : <= 3 ulp            for all x
//   det_erf  : <= 4e-8 absolute    for all x (<= 3 ulp where |erf| >= 0.1)
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define STEP_HD __host__ __device__
#else
#define STEP_HD
#endif

namespace step::kernels {

STEP_HD inline float det_fmaf(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
    return __fmaf_rn(a, b, c);
#else
    return std::fmaf(a, b, c);
#endif
}

STEP_HD inline uint32_t float_bits(float x) {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    return u;
}
STEP_HD inline float bits_float(uint32_t u) {
    float x;
    std::memcpy(&x, &u, 4);
    return x;
}
STEP_HD inline bool det_isnan(float x) { return (float_bits(x) & 0x7fffffffu) > 0x7f800000u; }

// 2^k for k in [-126, 127], exact.
STEP_HD inline float det_pow2i(int k) { return bits_float(static_cast<uint32_t>(k + 127) << 23); }

// exp(x): n = rne(x / ln2) by the 1.5*2^23 shifter, r = x - n*ln2 in two fmaf steps (Cody-Waite),
// p = Taylor polynomial of degree 7 by fmaf Horner, result p * 2^n (two exact-then-one-rounding
// multiplies when 2^n is out of the normal range).
STEP_HD inline float det_exp(float x) {
    if (det_isnan(x)) return x;
    if (x > 88.72283935546875f) return bits_float(0x7f800000u);
    if (x < -103.97208404541015625f) return 0.0f;
    const float shifter = 12582912.0f;  // 1.5 * 2^23
    float t = x * 1.44269502162933349609375f + shifter;
    float n = t - shifter;
    float r = det_fmaf(-n, 0.693145751953125f, x);           // ln2_hi (low 12 bits zero)
    r = det_fmaf(-n, 1.428606765330187045e-06f, r);          // ln2_lo
    float p = 1.98412698e-04f;                               // 1/5040
    p = det_fmaf(p, r, 1.38888889e-03f);                     // 1/720
    p = det_fmaf(p, r, 8.33333377e-03f);                     // 1/120
    p = det_fmaf(p, r, 4.16666679e-02f);                     // 1/24
    p = det_fmaf(p, r, 1.66666672e-01f);                     // 1/6
    p = det_fmaf(p, r, 0.5f);
    p = det_fmaf(p, r, 1.0f);
    p = det_fmaf(p, r, 1.0f);
    int k = static_cast<int>(n);
    if (k > 127) return (p * det_pow2i(127)) * det_pow2i(k - 127);
    if (k < -126) return (p * det_pow2i(k + 64)) * det_pow2i(-64);
    return p * det_pow2i(k);
}

// log(x): x = m * 2^e with m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact), s = f / (2 + f),
// log(1+f) = f - (f^2/2 - s*(f^2/2 + R(s^2))) with R the atanh series (fdlibm's structure, our
// Taylor coefficients), plus e*ln2 split hi/lo so e*ln2_hi is exact.
STEP_HD inline float det_log(float x) {
    if (det_isnan(x)) return x;
    if (x < 0.0f) return bits_float(0x7fc00000u);
    if (x == 0.0f) return bits_float(0xff800000u);
    if (x == bits_float(0x7f800000u)) return x;
    int e = 0;
    if (x < 1.17549435e-38f) {  // subnormal: scale into the normal range, exactly
        x = x * 8388608.0f;
        e = -23;
    }
    uint32_t u = float_bits(x);
    e += static_cast<int>(u >> 23) - 127;
    float m = bits_float((u & 0x007fffffu) | 0x3f800000u);  // [1, 2)
    if (m > 1.41421353816986083984375f) {
        m = m * 0.5f;
        e += 1;
    }
    float f = m - 1.0f;
    float s = f / (2.0f + f);
    float z = s * s;
    float R = 1.81818187e-01f;                 // 2/11
    R = det_fmaf(R, z, 2.22222224e-01f);       // 2/9
    R = det_fmaf(R, z, 2.85714298e-01f);       // 2/7
    R = det_fmaf(R, z, 4.00000006e-01f);       // 2/5
    R = det_fmaf(R, z, 6.66666687e-01f);       // 2/3
    R = R * z;
    float hfsq = 0.5f * f * f;
    float ef = static_cast<float>(e);
    return ef * 6.9313812256e-01f + (f - (hfsq - (s * (hfsq + R) + ef * 9.0580006145e-06f)));
}

// tanh(x): odd Taylor polynomial for |x| < 0.5, 1 - 2/(exp(2|x|) + 1) up to |x| < 9.1, +-1 beyond.
STEP_HD inline float det_tanh(float x) {
    if (det_isnan(x)) return x;
    float a = x < 0.0f ? -x : x;
    float r;
    if (a < 0.5f) {
        float z = a * a;
        float p = -2.39129114e-04f;             // Taylor coefficients of x^19 .. x^3
        p = det_fmaf(p, z, 5.90027441e-04f);
        p = det_fmaf(p, z, -1.45583439e-03f);
        p = det_fmaf(p, z, 3.59212804e-03f);
        p = det_fmaf(p, z, -8.86323553e-03f);
        p = det_fmaf(p, z, 2.18694885e-02f);
        p = det_fmaf(p, z, -5.39682540e-02f);
        p = det_fmaf(p, z, 1.33333333e-01f);
        p = det_fmaf(p, z, -3.33333333e-01f);
        r = det_fmaf(a * z, p, a);
    } else if (a < 9.1f) {
        r = 1.0f - 2.0f / (det_exp(2.0f * a) + 1.0f);
    } else {
        r = 1.0f;
    }
    return x < 0.0f ? -r : r;
}

// erf(x): for |x| < 1 the Maclaurin series (13 terms, fmaf Horner in x^2); for 1 <= |x| < 4,
// 1 - exp(-x^2) * erfcx(|x|) with erfcx a degree-14 Chebyshev fit on [1, 4] in u = (|x|-2.5)/1.5,
// and exp(-x^2) corrected for the rounding of x^2 (x^2 = hi + lo exactly, exp(-hi) * (1 - lo));
// +-1 beyond 4 (erf(4) rounds to 1 in binary32).
STEP_HD inline float det_erf(float x) {
    if (det_isnan(x)) return x;
    float a = x < 0.0f ? -x : x;
    float r;
    if (a < 1.0f) {
        float z = a * a;
        float p = 9.42275906e-11f;             // 2/sqrt(pi) * (-1)^n / (n! (2n+1)), n = 12..0
        p = det_fmaf(p, z, -1.22905553e-09f);
        p = det_fmaf(p, z, 1.48071928e-08f);
        p = det_fmaf(p, z, -1.63658447e-07f);
        p = det_fmaf(p, z, 1.64621144e-06f);
        p = det_fmaf(p, z, -1.49256504e-05f);
        p = det_fmaf(p, z, 1.20553330e-04f);
        p = det_fmaf(p, z, -8.54832702e-04f);
        p = det_fmaf(p, z, 5.22397763e-03f);
        p = det_fmaf(p, z, -2.68661706e-02f);
        p = det_fmaf(p, z, 1.12837917e-01f);
        p = det_fmaf(p, z, -3.76126389e-01f);
        p = det_fmaf(p, z, 1.12837917e+00f);
        r = a * p;
    } else if (a < 4.0f) {
        float u = (a - 2.5f) / 1.5f;
        float q = 1.758096914e-06f;
        q = det_fmaf(q, u, -5.053529549e-06f);
        q = det_fmaf(q, u, 7.665360499e-06f);
        q = det_fmaf(q, u, -2.050471994e-05f);
        q = det_fmaf(q, u, 6.340925756e-05f);
        q = det_fmaf(q, u, -1.644786535e-04f);
        q = det_fmaf(q, u, 4.087380366e-04f);
        q = det_fmaf(q, u, -1.004799735e-03f);
        q = det_fmaf(q, u, 2.403721446e-03f);
        q = det_fmaf(q, u, -5.570925772e-03f);
        q = det_fmaf(q, u, 1.248936728e-02f);
        q = det_fmaf(q, u, -2.700527571e-02f);
        q = det_fmaf(q, u, 5.611049384e-02f);
        q = det_fmaf(q, u, -1.115210205e-01f);
        q = det_fmaf(q, u, 2.108063698e-01f);
        float hi = a * a;
        float lo = det_fmaf(a, a, -hi);
        float e = det_exp(-hi);
        e = e - e * lo;
        r = 1.0f - e * q;
    } else {
        r = 1.0f;
    }
    return x < 0.0f ? -r : r;
}

}  // namespace step::kernels
