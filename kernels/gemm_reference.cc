// The scalar definition of GEMM (see gemm.h). Deliberately plain: this is what "correct" means.
#include <cmath>

#include "kernels/gemm.h"

namespace step::kernels {

void gemm_nn_reference(const float* A, const float* B, float* C, int M, int N, int K) {
    for (int i = 0; i < M; ++i)
        for (int j = 0; j < N; ++j) {
            float acc = 0.0f;
            for (int k = 0; k < K; ++k) acc = std::fmaf(A[i * K + k], B[k * N + j], acc);
            C[i * N + j] = acc;
        }
}

void gemm_nt_reference(const float* A, const float* B, float* C, int M, int N, int K) {
    for (int i = 0; i < M; ++i)
        for (int j = 0; j < N; ++j) {
            float acc = 0.0f;
            for (int k = 0; k < K; ++k) acc = std::fmaf(A[i * K + k], B[j * K + k], acc);
            C[i * N + j] = acc;
        }
}

void gemm_tn_reference(const float* A, const float* B, float* C, int M, int N, int K) {
    for (int i = 0; i < M; ++i)
        for (int j = 0; j < N; ++j) {
            float acc = 0.0f;
            for (int k = 0; k < K; ++k) acc = std::fmaf(A[k * M + i], B[k * N + j], acc);
            C[i * N + j] = acc;
        }
}

}  // namespace step::kernels
