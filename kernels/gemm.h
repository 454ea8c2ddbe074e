// Matrix multiply in the three layouts training needs. Row-major, contiguous (leading dimension
// = row length). The result is defined by one reduction order, for every element of C:
//
//     acc = +0.0f;  for k = 0..K-1: acc = fmaf(a(i,k), b(k,j), acc);  C[i][j] = acc;
//
// Vector and threaded paths split the (i, j) outputs only, so every path, thread count and
// device yields these exact bits. C is overwritten (no accumulation into C).
#pragma once

#include "kernels/exec.h"

namespace step::kernels {

// C[M][N] = A[M][K] * B[K][N]
void gemm_nn(const Exec& ex, const float* A, const float* B, float* C, int M, int N, int K);
// C[M][N] = A[M][K] * B^T, with B stored as [N][K]
void gemm_nt(const Exec& ex, const float* A, const float* B, float* C, int M, int N, int K);
// C[M][N] = A^T * B[K][N], with A stored as [K][M]
void gemm_tn(const Exec& ex, const float* A, const float* B, float* C, int M, int N, int K);

// The scalar definition itself, single-threaded: the reference the fast paths are tested against.
void gemm_nn_reference(const float* A, const float* B, float* C, int M, int N, int K);
void gemm_nt_reference(const float* A, const float* B, float* C, int M, int N, int K);
void gemm_tn_reference(const float* A, const float* B, float* C, int M, int N, int K);

}  // namespace step::kernels
