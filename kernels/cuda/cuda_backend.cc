// CudaBackend: device memory on one stream, ops launched through kernels/cuda/cuda_ops.h.
#include <cuda_runtime_api.h>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_backend_impl.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/errors.h"
#include "kernels/ops.h"  // attention_scale, the clipping constants

namespace step::kernels {

namespace {
namespace cu = step::kernels::cuda;
}

bool cuda_available() {
    int count = 0;
    return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

std::string cuda_device_description() {
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) return std::string("no CUDA device: ") + cudaGetErrorString(err);
    if (count == 0) return "no CUDA device";
    int dev = 0;
    cudaDeviceProp prop{};
    if (cudaGetDevice(&dev) != cudaSuccess || cudaGetDeviceProperties(&prop, dev) != cudaSuccess)
        return "CUDA device (properties unavailable)";
    return std::string(prop.name) + " (sm_" + std::to_string(prop.major) +
           std::to_string(prop.minor) + ")";
}

Result<std::unique_ptr<Backend>> make_cuda_backend(const Exec&) {
    if (!cuda_available())
        return Status::error(codes::kCudaUnavailable, cuda_device_description());
    return std::unique_ptr<Backend>(std::make_unique<CudaBackend>());
}

CudaBackend::CudaBackend() { STEP_CUDA_CHECK(cudaStreamCreate(&stream_)); }
CudaBackend::~CudaBackend() {
    if (stream_) {
        cudaStreamSynchronize(stream_);
        cudaStreamDestroy(stream_);
    }
}
void CudaBackend::sync() { STEP_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

Buffer CudaBackend::alloc(size_t bytes) {
    // Never null, even for 0 bytes; zero-filled as Backend::alloc promises.
    size_t rounded = bytes ? bytes : 256;
    void* p = nullptr;
    STEP_CUDA_CHECK(cudaMalloc(&p, rounded));
    STEP_CUDA_CHECK(cudaMemsetAsync(p, 0, rounded, stream_));
    return Buffer(p, bytes, [](void* q) {
        // Queued ops may still use the memory (and the stream may be gone): wait for the device.
        cudaDeviceSynchronize();
        cudaFree(q);
    });
}
void CudaBackend::upload(void* dst, const void* src, size_t bytes) {
    if (!bytes) return;
    STEP_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_));
    sync();  // the host buffer may be reused as soon as we return
}
void CudaBackend::download(void* dst, const void* src, size_t bytes) {
    if (!bytes) return;
    STEP_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_));
    sync();
}
void CudaBackend::copy(void* dst, const void* src, size_t bytes) {
    if (bytes) STEP_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_));
}
void CudaBackend::zero(void* dst, size_t bytes) {
    if (bytes) STEP_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, stream_));
}

void CudaBackend::matmul_nn(const float* A, const float* B, float* C, int M, int N, int K) {
    cu::gemm(stream_, cu::GemmLayout::kNN, A, B, C, M, N, K);
}
void CudaBackend::matmul_nt(const float* A, const float* B, float* C, int M, int N, int K) {
    cu::gemm(stream_, cu::GemmLayout::kNT, A, B, C, M, N, K);
}
void CudaBackend::matmul_tn(const float* A, const float* B, float* C, int M, int N, int K) {
    cu::gemm(stream_, cu::GemmLayout::kTN, A, B, C, M, N, K);
}

void CudaBackend::bias_add(const float* x, const float* b, float* y, int rows, int cols) {
    cu::bias_add(stream_, x, b, y, rows, cols);
}
void CudaBackend::bias_grad(const float* dy, float* db, int rows, int cols) {
    cu::bias_grad(stream_, dy, db, rows, cols);
}
void CudaBackend::relu_fwd(const float* x, float* y, size_t n) { cu::relu_fwd(stream_, x, y, n); }
void CudaBackend::relu_bwd(const float* x, const float* dy, float* dx, size_t n) {
    cu::relu_bwd(stream_, x, dy, dx, n);
}
void CudaBackend::gelu_fwd(const float* x, float* y, size_t n) { cu::gelu_fwd(stream_, x, y, n); }
void CudaBackend::gelu_bwd(const float* x, const float* dy, float* dx, size_t n) {
    cu::gelu_bwd(stream_, x, dy, dx, n);
}
void CudaBackend::xent_fwd_bwd(const float* logits, const int32_t* labels, int B, int C,
                               float* row_loss, float* dlogits) {
    cu::xent_fwd_bwd(stream_, logits, labels, B, C, row_loss, dlogits);
}
void CudaBackend::sum_div(const float* x, size_t n, float divisor, float* out) {
    cu::sum_div(stream_, x, n, divisor, out);
}
void CudaBackend::layernorm_fwd(const float* x, const float* w, const float* b, float* y,
                                float* mean, float* rstd, int rows, int C, float eps) {
    cu::layernorm_fwd(stream_, x, w, b, y, mean, rstd, rows, C, eps);
}
void CudaBackend::layernorm_bwd(const float* dy, const float* x, const float* w,
                                const float* mean, const float* rstd, float* dx, float* dw,
                                float* db, int rows, int C) {
    cu::layernorm_bwd(stream_, dy, x, w, mean, rstd, dx, dw, db, rows, C);
}
void CudaBackend::embedding_fwd(const float* table, const int32_t* idx, float* out, int N, int C) {
    cu::embedding_fwd(stream_, table, idx, out, N, C);
}
void CudaBackend::embedding_bwd(const float* dout, const int32_t* idx, float* dtable, int N,
                                int V, int C) {
    cu::embedding_bwd(stream_, dout, idx, dtable, N, V, C);
}
void CudaBackend::unpack_u8_records(const uint8_t* rec, int B, int record_bytes, int features,
                                    float* x, int32_t* labels) {
    cu::unpack_u8_records(stream_, rec, B, record_bytes, features, x, labels);
}
void CudaBackend::sgd_momentum(float* p, const float* g, float* buf, size_t n, float lr,
                               float momentum, float wd) {
    cu::sgd_momentum(stream_, p, g, buf, n, lr, momentum, wd);
}
void CudaBackend::adamw(float* p, const float* g, float* m, float* v, size_t n, float lr,
                        float beta1, float beta2, float eps, float wd, float b1t, float b2t) {
    // The same four float subtractions as ops::adamw, done once here.
    const float omb1 = 1.0f - beta1, omb2 = 1.0f - beta2;
    const float c1 = 1.0f - b1t, c2 = 1.0f - b2t;
    cu::adamw(stream_, p, g, m, v, n, lr, beta1, beta2, omb1, omb2, c1, c2, eps, wd);
}
void CudaBackend::add_inplace(float* acc, const float* x, size_t n) {
    cu::add_inplace(stream_, acc, x, n);
}
void CudaBackend::div_inplace(float* x, size_t n, float d) { cu::div_inplace(stream_, x, n, d); }
void CudaBackend::canonicalize_nan(float* x, size_t n) { cu::canonicalize_nan(stream_, x, n); }
void CudaBackend::attention_fwd(const float* qkv, float* y, float* att, int B, int T, int C,
                                int H) {
    cu::attention_fwd(stream_, qkv, y, att, B, T, C, H, ops::attention_scale(C / H));
}
void CudaBackend::attention_bwd(const float* dy, const float* qkv, const float* att, float* dqkv,
                                float* datt, int B, int T, int C, int H) {
    cu::attention_bwd(stream_, dy, qkv, att, dqkv, datt, B, T, C, H, ops::attention_scale(C / H));
}
void CudaBackend::clip_grad_norm(float* g, size_t n, float max_norm, float* work,
                                 float* norm_out) {
    cu::clip_grad_norm(stream_, g, n, max_norm, work, norm_out, ops::kClipChunk, ops::kClipEps);
}

}  // namespace step::kernels
