// Internal to the GEMM implementation: the per-instruction-set block routines gemm.cc dispatches
// to. Each computes C[i][j] for i in [i0, i1), j in [j0, j1) by the one definition in gemm.h,
// every output with its own accumulator running k = 0..K-1, so all of them give the same bits.
//
// This header is also included by files compiled with -mavx2/-mavx512f: it must stay free of
// inline functions and templates, or the linker could pick an AVX-512 copy for scalar code.
#pragma once

#include <cstddef>

namespace step::kernels::detail {

// Strided view of one GEMM: a(i,k) = A[i*a_row + k*a_k], b(k,j) = B[k*b_k + j*b_col],
// C[i][j] = C[i*ldc + j]. NN, NT and TN differ only in these strides.
struct GemmView {
    const float* A;
    std::ptrdiff_t a_row, a_k;
    const float* B;
    std::ptrdiff_t b_k, b_col;
    float* C;
    std::ptrdiff_t ldc;
    int K;
};

// Rows per register tile (all levels) and columns per tile for each level.
constexpr int kTileRows = 6;
constexpr int kTileColsAvx2 = 16;
constexpr int kTileColsAvx512 = 64;

// `pack` is scratch for K * kTileCols floats, used when B's columns are not contiguous
// (b_col != 1, the NT layout): a column panel is copied to [K][kTileCols] order first.
void gemm_block_avx2(const GemmView& g, int i0, int i1, int j0, int j1, float* pack);
void gemm_block_avx512(const GemmView& g, int i0, int i1, int j0, int j1, float* pack);

}  // namespace step::kernels::detail
