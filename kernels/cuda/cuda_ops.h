// Host launchers for the CUDA twins of kernels/ops.h and kernels/gemm.h. Every kernel computes
// each output in one thread with the CPU reference's exact operation sequence (__fmaf_rn where
// the definition says fmaf, nothing contracted: nvcc -fmad=false), reductions in the documented
// order, no atomics. All pointers are device pointers; work is queued on `s`.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace step::kernels::cuda {

enum class GemmLayout { kNN, kNT, kTN };
// Exactly gemm_nn/nt/tn of kernels/gemm.h: per output, acc = +0; acc = fmaf(a, b, acc), k = 0..K-1.
void gemm(cudaStream_t s, GemmLayout layout, const float* A, const float* B, float* C, int M,
          int N, int K);

void bias_add(cudaStream_t s, const float* x, const float* b, float* y, int rows, int cols);
void bias_grad(cudaStream_t s, const float* dy, float* db, int rows, int cols);
void relu_fwd(cudaStream_t s, const float* x, float* y, size_t n);
void relu_bwd(cudaStream_t s, const float* x, const float* dy, float* dx, size_t n);
void gelu_fwd(cudaStream_t s, const float* x, float* y, size_t n);
void gelu_bwd(cudaStream_t s, const float* x, const float* dy, float* dx, size_t n);
void xent_fwd_bwd(cudaStream_t s, const float* logits, const int32_t* labels, int B, int C,
                  float* row_loss, float* dlogits);
void sum_div(cudaStream_t s, const float* x, size_t n, float divisor, float* out);
void layernorm_fwd(cudaStream_t s, const float* x, const float* w, const float* b, float* y,
                   float* mean, float* rstd, int rows, int C, float eps);
void layernorm_bwd(cudaStream_t s, const float* dy, const float* x, const float* w,
                   const float* mean, const float* rstd, float* dx, float* dw, float* db, int rows,
                   int C);
void embedding_fwd(cudaStream_t s, const float* table, const int32_t* idx, float* out, int N, int C);
void embedding_bwd(cudaStream_t s, const float* dout, const int32_t* idx, float* dtable, int N,
                   int V, int C);
void unpack_u8_records(cudaStream_t s, const uint8_t* rec, int B, int record_bytes, int features,
                       float* x, int32_t* labels);
void sgd_momentum(cudaStream_t s, float* p, const float* g, float* buf, size_t n, float lr,
                  float momentum, float wd);
// omb1 = 1 - beta1, omb2 = 1 - beta2, c1 = 1 - b1t, c2 = 1 - b2t, each one float subtraction
// done by the caller exactly as ops::adamw does.
void adamw(cudaStream_t s, float* p, const float* g, float* m, float* v, size_t n, float lr,
           float beta1, float beta2, float omb1, float omb2, float c1, float c2, float eps,
           float wd);
void add_inplace(cudaStream_t s, float* acc, const float* x, size_t n);
void div_inplace(cudaStream_t s, float* x, size_t n, float d);
void canonicalize_nan(cudaStream_t s, float* x, size_t n);
// ops::attention_fwd / attention_bwd with scale = ops::attention_scale(C / H), computed by the
// host caller. Forward: one thread per (b, h, query) for the probabilities, then one per output.
// Backward: one thread per (b, h, query) for ds, then one per dq, dk/dv output.
void attention_fwd(cudaStream_t s, const float* qkv, float* y, float* att, int B, int T, int C,
                   int H, float scale);
void attention_bwd(cudaStream_t s, const float* dy, const float* qkv, const float* att,
                   float* dqkv, float* datt, int B, int T, int C, int H, float scale);
// ops::clip_grad_norm with chunk = ops::kClipChunk and eps = ops::kClipEps (passed by the host
// caller): one thread per chunk, one thread for the total and coef, one per element.
void clip_grad_norm(cudaStream_t s, float* g, size_t n, float max_norm, float* work,
                    float* norm_out, size_t chunk, float eps);

}  // namespace step::kernels::cuda
