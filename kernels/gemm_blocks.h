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
// C[i][j] stored at C[i*c_row + j*c_col]. NN, NT and TN differ only in these strides, and so does
// the transposed problem C^T = B^T A^T that gemm.cc may run instead (c_col != 1 then).
struct GemmView {
    const float* A;
    std::ptrdiff_t a_row, a_k;
    const float* B;
    std::ptrdiff_t b_k, b_col;
    float* C;
    std::ptrdiff_t c_row, c_col;
    int K;
};

// Rows per register tile (all levels) and columns per tile for each level.
constexpr int kTileRows = 6;
constexpr int kTileColsAvx2 = 16;
constexpr int kTileColsAvx512 = 64;

// When B's columns are not contiguous (b_col != 1, b_k == 1: the NT layout), gemm.cc first packs
// every column tile of B once into `packed`: tile t (columns [t*cols, t*cols + cols)) at
// packed + t*K*cols in [K][cols] order. The block routines then read B from `packed` (nullptr:
// read B in place). Column ranges passed to the blocks start on tile boundaries.
void gemm_pack_tile(const GemmView& g, int tile, int tile_cols, int N, float* packed);  // AVX2
void gemm_block_avx2(const GemmView& g, int i0, int i1, int j0, int j1, const float* packed);
void gemm_block_avx512(const GemmView& g, int i0, int i1, int j0, int j1, const float* packed);

}  // namespace step::kernels::detail
