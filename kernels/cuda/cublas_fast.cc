// The cuBLAS variant of CudaBackend (see cublas_fast.h: not consensus). Row-major C = A B is
// column-major C^T = B^T A^T, so every call swaps the operands and passes N before M.
#include "kernels/cuda/cublas_fast.h"

#include <cublas_v2.h>

#include <cstdio>
#include <cstdlib>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_backend_impl.h"
#include "kernels/errors.h"

namespace step::kernels {

namespace {
void cublas_check(cublasStatus_t st, const char* what) {
    if (st == CUBLAS_STATUS_SUCCESS) return;
    std::fprintf(stderr, "stepchain: fatal cuBLAS error in %s: status %d\n", what,
                 static_cast<int>(st));
    std::abort();
}

class CublasBackend final : public CudaBackend {
public:
    CublasBackend() {
        cublas_check(cublasCreate(&handle_), "cublasCreate");
        cublas_check(cublasSetStream(handle_, stream()), "cublasSetStream");
    }
    ~CublasBackend() override { cublasDestroy(handle_); }
    std::string name() const override { return "cuda-cublas"; }

    void matmul_nn(const float* A, const float* B, float* C, int M, int N, int K) override {
        sgemm(CUBLAS_OP_N, CUBLAS_OP_N, A, K, B, N, C, M, N, K);
    }
    void matmul_nt(const float* A, const float* B, float* C, int M, int N, int K) override {
        sgemm(CUBLAS_OP_N, CUBLAS_OP_T, A, K, B, K, C, M, N, K);
    }
    void matmul_tn(const float* A, const float* B, float* C, int M, int N, int K) override {
        sgemm(CUBLAS_OP_T, CUBLAS_OP_N, A, M, B, N, C, M, N, K);
    }

private:
    // op_a / op_b describe the row-major operands; cuBLAS sees B first.
    void sgemm(cublasOperation_t op_a, cublasOperation_t op_b, const float* A, int lda,
               const float* B, int ldb, float* C, int M, int N, int K) {
        if (M <= 0 || N <= 0) return;
        const float one = 1.0f, zero = 0.0f;
        cublas_check(cublasSgemm(handle_, op_b, op_a, N, M, K, &one, B, ldb, A, lda, &zero, C, N),
                     "cublasSgemm");
    }
    cublasHandle_t handle_ = nullptr;
};
}  // namespace

Result<std::unique_ptr<Backend>> make_cublas_fast_backend(const Exec&) {
    if (!cuda_available()) return Status::error(codes::kCudaUnavailable, cuda_device_description());
    return std::unique_ptr<Backend>(std::make_unique<CublasBackend>());
}

}  // namespace step::kernels
