// AVX-512 GEMM block (compiled with -mavx512f; called only when detect_simd() allows it).
// Register tile: 6 rows x 64 columns = 24 accumulators, one per output lane. For every k in
// order, each lane does acc = fma(a(i,k), b(k,j), acc) exactly as the scalar definition, so the
// bits are the reference's; the vectors only run 16 columns side by side. Column tails use
// masked loads and stores (masked-off lanes are never read or written).
#include <immintrin.h>

#include "kernels/gemm_blocks.h"

namespace step::kernels::detail {

namespace {
constexpr int kLanes = 16;
constexpr int kVecs = kTileColsAvx512 / kLanes;

using Micro = void (*)(const float*, std::ptrdiff_t, std::ptrdiff_t, const float*, std::ptrdiff_t,
                       float*, std::ptrdiff_t, int, __mmask16);

// MR rows x NV vectors; the last vector is masked by `last`.
template <int MR, int NV>
void micro(const float* a, std::ptrdiff_t a_row, std::ptrdiff_t a_k, const float* b,
           std::ptrdiff_t b_k, float* c, std::ptrdiff_t ldc, int K, __mmask16 last) {
    __m512 acc[MR][NV];
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
    for (int k = 0; k < K; ++k) {
        __m512 bv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v)
            bv[v] = v == NV - 1 ? _mm512_maskz_loadu_ps(last, b + v * kLanes)
                                : _mm512_loadu_ps(b + v * kLanes);
#pragma GCC unroll 8
        for (int r = 0; r < MR; ++r) {
            __m512 av = _mm512_set1_ps(a[r * a_row]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
        a += a_k;
        b += b_k;
    }
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
            float* out = c + r * ldc + v * kLanes;
            if (v == NV - 1)
                _mm512_mask_storeu_ps(out, last, acc[r][v]);
            else
                _mm512_storeu_ps(out, acc[r][v]);
        }
}

template <int MR>
constexpr Micro row_entry(int nv) {
    return nv == 1 ? &micro<MR, 1> : nv == 2 ? &micro<MR, 2> : nv == 3 ? &micro<MR, 3>
                                                                       : &micro<MR, 4>;
}

Micro pick(int mr, int nv) {
    static const Micro table[kTileRows][kVecs] = {
        {row_entry<1>(1), row_entry<1>(2), row_entry<1>(3), row_entry<1>(4)},
        {row_entry<2>(1), row_entry<2>(2), row_entry<2>(3), row_entry<2>(4)},
        {row_entry<3>(1), row_entry<3>(2), row_entry<3>(3), row_entry<3>(4)},
        {row_entry<4>(1), row_entry<4>(2), row_entry<4>(3), row_entry<4>(4)},
        {row_entry<5>(1), row_entry<5>(2), row_entry<5>(3), row_entry<5>(4)},
        {row_entry<6>(1), row_entry<6>(2), row_entry<6>(3), row_entry<6>(4)},
    };
    return table[mr - 1][nv - 1];
}
}  // namespace

void gemm_block_avx512(const GemmView& g, int i0, int i1, int j0, int j1, const float* packed) {
    constexpr int kCols = kTileColsAvx512;
    // C^T problems (c_col != 1) go through a row-major scratch tile, then are scattered.
    alignas(64) float scratch[kTileRows * kCols];
    const bool direct = g.c_col == 1;
    for (int jt = j0; jt < j1; jt += kCols) {
        int width = j1 - jt < kCols ? j1 - jt : kCols;
        int nv = (width + kLanes - 1) / kLanes;
        int tail = width - (nv - 1) * kLanes;
        __mmask16 last = static_cast<__mmask16>((1u << tail) - 1u);
        const float* b = packed ? packed + static_cast<std::ptrdiff_t>(jt / kCols) * g.K * kCols
                                : g.B + jt * g.b_col;
        std::ptrdiff_t b_k = packed ? kCols : g.b_k;
        for (int it = i0; it < i1; it += kTileRows) {
            int mr = i1 - it < kTileRows ? i1 - it : kTileRows;
            float* c = direct ? g.C + it * g.c_row + jt : scratch;
            std::ptrdiff_t ldc = direct ? g.c_row : kCols;
            pick(mr, nv)(g.A + it * g.a_row, g.a_row, g.a_k, b, b_k, c, ldc, g.K, last);
            if (!direct)
                for (int j = 0; j < width; ++j)
                    for (int r = 0; r < mr; ++r)
                        g.C[(it + r) * g.c_row + (jt + j) * g.c_col] = scratch[r * kCols + j];
        }
    }
}

}  // namespace step::kernels::detail
