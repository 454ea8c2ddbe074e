// Dispatch for GEMM. Placeholder: rows split across the pool, each row by the scalar definition.
// The vectorised AVX2/AVX-512 paths replace this (kernels fast-path work).
#include <cmath>

#include "kernels/gemm.h"

namespace step::kernels {

namespace {
template <class Row>
void by_rows(const Exec& ex, int M, Row row) {
    if (ex.pool && M > 1)
        ex.pool->parallel_for(static_cast<size_t>(M), [&](size_t i) { row(static_cast<int>(i)); });
    else
        for (int i = 0; i < M; ++i) row(i);
}
}  // namespace

void gemm_nn(const Exec& ex, const float* A, const float* B, float* C, int M, int N, int K) {
    by_rows(ex, M, [&](int i) { gemm_nn_reference(A + i * K, B, C + i * N, 1, N, K); });
}
void gemm_nt(const Exec& ex, const float* A, const float* B, float* C, int M, int N, int K) {
    by_rows(ex, M, [&](int i) { gemm_nt_reference(A + i * K, B, C + i * N, 1, N, K); });
}
void gemm_tn(const Exec& ex, const float* A, const float* B, float* C, int M, int N, int K) {
    by_rows(ex, M, [&](int i) {
        for (int j = 0; j < N; ++j) {
            float acc = 0.0f;
            for (int k = 0; k < K; ++k) acc = std::fmaf(A[k * M + i], B[k * N + j], acc);
            C[i * N + j] = acc;
        }
    });
}

}  // namespace step::kernels
