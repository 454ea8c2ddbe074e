// Internal to gemm_avx2.cc / gemm_avx512.cc (both compiled with at least -mavx2): packing a
// column panel of a B stored [N][K] (the NT layout) into [K][ld] order, 8x8 blocks at a time
// with register transposes. Only copies values, so it cannot change a bit. Everything here has
// internal linkage: each vector file gets its own copy, never shared with scalar code.
#pragma once

#include <immintrin.h>

#include <cstddef>

namespace step::kernels::detail {
namespace {

// dst[k*ld + j] = B[(j)*b_row + k] for j < width, k < K, where B points at the panel's first row.
void pack_transposed(const float* B, std::ptrdiff_t b_row, int width, int K, float* dst,
                     std::ptrdiff_t ld) {
    int j = 0;
    for (; j + 8 <= width; j += 8) {
        int k = 0;
        for (; k + 8 <= K; k += 8) {
            __m256 r[8];
            for (int q = 0; q < 8; ++q) r[q] = _mm256_loadu_ps(B + (j + q) * b_row + k);
            __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
            __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
            __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
            __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
            __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
            __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
            __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
            __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
            float* d = dst + k * ld + j;
            _mm256_storeu_ps(d + 0 * ld, _mm256_permute2f128_ps(u0, u4, 0x20));
            _mm256_storeu_ps(d + 1 * ld, _mm256_permute2f128_ps(u1, u5, 0x20));
            _mm256_storeu_ps(d + 2 * ld, _mm256_permute2f128_ps(u2, u6, 0x20));
            _mm256_storeu_ps(d + 3 * ld, _mm256_permute2f128_ps(u3, u7, 0x20));
            _mm256_storeu_ps(d + 4 * ld, _mm256_permute2f128_ps(u0, u4, 0x31));
            _mm256_storeu_ps(d + 5 * ld, _mm256_permute2f128_ps(u1, u5, 0x31));
            _mm256_storeu_ps(d + 6 * ld, _mm256_permute2f128_ps(u2, u6, 0x31));
            _mm256_storeu_ps(d + 7 * ld, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
        for (; k < K; ++k)
            for (int q = 0; q < 8; ++q) dst[k * ld + j + q] = B[(j + q) * b_row + k];
    }
    for (; j < width; ++j)
        for (int k = 0; k < K; ++k) dst[k * ld + j] = B[j * b_row + k];
}

}  // namespace
}  // namespace step::kernels::detail
