// AVX2+FMA GEMM block (compiled with -mavx2 -mfma; called only when detect_simd() allows it).
// Register tile: 6 rows x 16 columns = 12 accumulators, one per output lane, each running
// acc = fma(a(i,k), b(k,j), acc) for k in order: the scalar definition's bits, 8 columns at a
// time. Column tails use vmaskmov loads and stores (masked-off lanes are never touched).
#include <immintrin.h>

#include "kernels/gemm_blocks.h"
#include "kernels/gemm_pack.h"

namespace step::kernels::detail {

namespace {
constexpr int kLanes = 8;
constexpr int kVecs = kTileColsAvx2 / kLanes;

using Micro = void (*)(const float*, std::ptrdiff_t, std::ptrdiff_t, const float*, std::ptrdiff_t,
                       float*, std::ptrdiff_t, int, __m256i);

// MR rows x NV vectors; the last vector is masked by `last` (sign bit set = lane in use).
template <int MR, int NV>
void micro(const float* a, std::ptrdiff_t a_row, std::ptrdiff_t a_k, const float* b,
           std::ptrdiff_t b_k, float* c, std::ptrdiff_t ldc, int K, __m256i last) {
    __m256 acc[MR][NV];
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_setzero_ps();
    for (int k = 0; k < K; ++k) {
        __m256 bv[NV];
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v)
            bv[v] = v == NV - 1 ? _mm256_maskload_ps(b + v * kLanes, last)
                                : _mm256_loadu_ps(b + v * kLanes);
#pragma GCC unroll 8
        for (int r = 0; r < MR; ++r) {
            __m256 av = _mm256_broadcast_ss(a + r * a_row);
#pragma GCC unroll 2
            for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
        }
        a += a_k;
        b += b_k;
    }
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) {
            float* out = c + r * ldc + v * kLanes;
            if (v == NV - 1)
                _mm256_maskstore_ps(out, last, acc[r][v]);
            else
                _mm256_storeu_ps(out, acc[r][v]);
        }
}

template <int MR>
constexpr Micro row_entry(int nv) {
    return nv == 1 ? &micro<MR, 1> : &micro<MR, 2>;
}

Micro pick(int mr, int nv) {
    static const Micro table[kTileRows][kVecs] = {
        {row_entry<1>(1), row_entry<1>(2)}, {row_entry<2>(1), row_entry<2>(2)},
        {row_entry<3>(1), row_entry<3>(2)}, {row_entry<4>(1), row_entry<4>(2)},
        {row_entry<5>(1), row_entry<5>(2)}, {row_entry<6>(1), row_entry<6>(2)},
    };
    return table[mr - 1][nv - 1];
}
}  // namespace

void gemm_block_avx2(const GemmView& g, int i0, int i1, int j0, int j1, const float* packed) {
    constexpr int kCols = kTileColsAvx2;
    // C^T problems (c_col != 1) go through a row-major scratch tile, then are scattered.
    alignas(64) float scratch[kTileRows * kCols];
    const bool direct = g.c_col == 1;
    for (int jt = j0; jt < j1; jt += kCols) {
        int width = j1 - jt < kCols ? j1 - jt : kCols;
        int nv = (width + kLanes - 1) / kLanes;
        int tail = width - (nv - 1) * kLanes;
        // Lane l is in use when l < tail: compare against 0..7 gives all-ones there.
        __m256i last = _mm256_cmpgt_epi32(_mm256_set1_epi32(tail),
                                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
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

void gemm_pack_tile(const GemmView& g, int tile, int tile_cols, int N, float* packed) {
    int j0 = tile * tile_cols;
    int width = N - j0 < tile_cols ? N - j0 : tile_cols;
    pack_transposed(g.B + j0 * g.b_col, g.b_col, width, g.K,
                    packed + static_cast<std::ptrdiff_t>(tile) * g.K * tile_cols, tile_cols);
}

}  // namespace step::kernels::detail
