// Internal to kernels/cuda: the CudaBackend class, visible so the benchmark-only cuBLAS variant
// (cublas_fast.h) can override its matrix multiplies. Consensus code uses make_cuda_backend().
#pragma once

#include <cuda_runtime_api.h>

#include "kernels/backend.h"
#include "kernels/cuda/cuda_ops.h"

namespace step::kernels {

class CudaBackend : public Backend {
public:
    CudaBackend();
    ~CudaBackend() override;
    std::string name() const override { return "cuda"; }
    cudaStream_t stream() const { return stream_; }
    // Waits for every queued op.
    void sync();

    Buffer alloc(size_t bytes) override;
    void upload(void* dst, const void* host_src, size_t bytes) override;
    void download(void* host_dst, const void* src, size_t bytes) override;
    void copy(void* dst, const void* src, size_t bytes) override;
    void zero(void* dst, size_t bytes) override;

    void matmul_nn(const float* A, const float* B, float* C, int M, int N, int K) override;
    void matmul_nt(const float* A, const float* B, float* C, int M, int N, int K) override;
    void matmul_tn(const float* A, const float* B, float* C, int M, int N, int K) override;

    void bias_add(const float* x, const float* b, float* y, int rows, int cols) override;
    void bias_grad(const float* dy, float* db, int rows, int cols) override;
    void relu_fwd(const float* x, float* y, size_t n) override;
    void relu_bwd(const float* x, const float* dy, float* dx, size_t n) override;
    void gelu_fwd(const float* x, float* y, size_t n) override;
    void gelu_bwd(const float* x, const float* dy, float* dx, size_t n) override;
    void xent_fwd_bwd(const float* logits, const int32_t* labels, int B, int C, float* row_loss,
                      float* dlogits) override;
    void sum_div(const float* x, size_t n, float divisor, float* out) override;
    void layernorm_fwd(const float* x, const float* w, const float* b, float* y, float* mean,
                       float* rstd, int rows, int C, float eps) override;
    void layernorm_bwd(const float* dy, const float* x, const float* w, const float* mean,
                       const float* rstd, float* dx, float* dw, float* db, int rows,
                       int C) override;
    void embedding_fwd(const float* table, const int32_t* idx, float* out, int N, int C) override;
    void embedding_bwd(const float* dout, const int32_t* idx, float* dtable, int N, int V,
                       int C) override;
    void unpack_u8_records(const uint8_t* rec, int B, int record_bytes, int features, float* x,
                           int32_t* labels) override;
    void attention_fwd(const float* qkv, float* y, float* att, int B, int T, int C,
                       int H) override;
    void attention_bwd(const float* dy, const float* qkv, const float* att, float* dqkv,
                       float* datt, int B, int T, int C, int H) override;
    void sgd_momentum(float* p, const float* g, float* buf, size_t n, float lr, float momentum,
                      float wd) override;
    void adamw(float* p, const float* g, float* m, float* v, size_t n, float lr, float beta1,
               float beta2, float eps, float wd, float b1t, float b2t) override;
    void add_inplace(float* acc, const float* x, size_t n) override;
    void div_inplace(float* x, size_t n, float d) override;
    void canonicalize_nan(float* x, size_t n) override;
    void clip_grad_norm(float* g, size_t n, float max_norm, float* work, float* norm_out) override;

private:
    cudaStream_t stream_ = nullptr;
};

}  // namespace step::kernels
