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
//   det_erf  : <= 1e-7 absolute    for all x (<= 3 ulp where |erf| >= 0.1)
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

// erf(x), by |x|:
//   [0, 0.5):   Maclaurin series, 13 terms, fmaf Horner in z = x^2;
//   [0.5, 1.5): erf itself as a degree-14 Chebyshev fit in u = (|x| - 1) / 0.5;
//   [1.5, 4):   1 - exp(-x^2) * erfcx(|x|), erfcx a degree-14 Chebyshev fit in
//               u = (|x| - 2.75) / 1.25, with exp(-x^2) corrected for the rounding of x^2
//               (x^2 = hi + lo exactly via fmaf; exp(-hi - lo) ~ exp(-hi) - exp(-hi) * lo);
//   [4, inf):   1 (erf(4) rounds to 1 in binary32).
// Odd: erf(-x) = -erf(x). Coefficients were fitted in double and rounded once to binary32.
STEP_HD inline float det_erf(float x) {
    if (det_isnan(x)) return x;
    float a = x < 0.0f ? -x : x;
    float r;
    if (a < 0.5f) {
        float z = a * a;
        float p = 9.422759060e-11f;  // 2/sqrt(pi) (-1)^n / (n! (2n+1)), n = 12..0
        p = det_fmaf(p, z, -1.229055530e-09f);
        p = det_fmaf(p, z, 1.480719280e-08f);
        p = det_fmaf(p, z, -1.636584470e-07f);
        p = det_fmaf(p, z, 1.646211440e-06f);
        p = det_fmaf(p, z, -1.492565040e-05f);
        p = det_fmaf(p, z, 1.205533300e-04f);
        p = det_fmaf(p, z, -8.548327020e-04f);
        p = det_fmaf(p, z, 5.223977630e-03f);
        p = det_fmaf(p, z, -2.686617060e-02f);
        p = det_fmaf(p, z, 1.128379170e-01f);
        p = det_fmaf(p, z, -3.761263890e-01f);
        p = det_fmaf(p, z, 1.128379170e+00f);
        r = a * p;
    } else if (a < 1.5f) {
        float u = (a - 1.0f) / 0.5f;
        float q = 1.283721462e-09f;  // erf fit, highest degree first
        q = det_fmaf(q, u, 1.704059560e-09f);
        q = det_fmaf(q, u, -4.850949153e-08f);
        q = det_fmaf(q, u, 4.261504927e-08f);
        q = det_fmaf(q, u, 1.197205279e-06f);
        q = det_fmaf(q, u, -3.682660235e-06f);
        q = det_fmaf(q, u, -1.866008643e-05f);
        q = det_fmaf(q, u, 1.183965069e-04f);
        q = det_fmaf(q, u, 7.206721784e-05f);
        q = det_fmaf(q, u, -2.162018325e-03f);
        q = det_fmaf(q, u, 4.324036650e-03f);
        q = det_fmaf(q, u, 1.729614660e-02f);
        q = det_fmaf(q, u, -1.037768722e-01f);
        q = det_fmaf(q, u, 2.075537443e-01f);
        q = det_fmaf(q, u, 8.427007794e-01f);
        r = q;
    } else if (a < 4.0f) {
        float u = (a - 2.75f) / 1.25f;
        float q = 4.949820465e-08f;  // erfcx fit, highest degree first
        q = det_fmaf(q, u, -1.768158597e-07f);
        q = det_fmaf(q, u, 4.345342006e-07f);
        q = det_fmaf(q, u, -1.471428277e-06f);
        q = det_fmaf(q, u, 5.156014595e-06f);
        q = det_fmaf(q, u, -1.680107562e-05f);
        q = det_fmaf(q, u, 5.328113548e-05f);
        q = det_fmaf(q, u, -1.654322696e-04f);
        q = det_fmaf(q, u, 5.004201666e-04f);
        q = det_fmaf(q, u, -1.471547643e-03f);
        q = det_fmaf(q, u, 4.198197741e-03f);
        q = det_fmaf(q, u, -1.159050316e-02f);
        q = det_fmaf(q, u, 3.087280132e-02f);
        q = det_fmaf(q, u, -7.904704660e-02f);
        q = det_fmaf(q, u, 1.936620921e-01f);
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
