// The device seam: models and the trainer are written once against Backend, and run on the CPU
// reference (CpuBackend) or on CUDA (kernels/cuda/, registered only when built with
// STEP_HAVE_CUDA). Every op's exact result is the definition in kernels/ops.h (and
// kernels/gemm.h for the matrix multiplies); a backend that differs in one bit is a bug.
//
// Pointers passed to ops are device addresses obtained from this backend's Buffers (plus
// offsets); host memory crosses only through upload/download. Ops may run asynchronously;
// download() returns only when the data is there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "kernels/exec.h"

namespace step::kernels {

// An owned device allocation. Move-only; frees itself through the backend's deleter.
class Buffer {
public:
    Buffer() = default;
    Buffer(void* ptr, size_t bytes, std::function<void(void*)> release)
        : ptr_(ptr), bytes_(bytes), release_(std::move(release)) {}
    Buffer(Buffer&& o) noexcept { swap(o); }
    Buffer& operator=(Buffer&& o) noexcept {
        if (this != &o) {
            reset();
            swap(o);
        }
        return *this;
    }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer() { reset(); }

    size_t bytes() const { return bytes_; }
    size_t floats() const { return bytes_ / sizeof(float); }
    float* f() const { return static_cast<float*>(ptr_); }
    int32_t* i32() const { return static_cast<int32_t*>(ptr_); }
    uint8_t* u8() const { return static_cast<uint8_t*>(ptr_); }
    void* data() const { return ptr_; }

private:
    void reset() {
        if (ptr_ && release_) release_(ptr_);
        ptr_ = nullptr;
        bytes_ = 0;
    }
    void swap(Buffer& o) {
        std::swap(ptr_, o.ptr_);
        std::swap(bytes_, o.bytes_);
        std::swap(release_, o.release_);
    }
    void* ptr_ = nullptr;
    size_t bytes_ = 0;
    std::function<void(void*)> release_;
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual std::string name() const = 0;

    // Memory. alloc() returns zero-filled memory.
    virtual Buffer alloc(size_t bytes) = 0;
    virtual void upload(void* dst, const void* host_src, size_t bytes) = 0;
    virtual void download(void* host_dst, const void* src, size_t bytes) = 0;
    virtual void copy(void* dst, const void* src, size_t bytes) = 0;
    virtual void zero(void* dst, size_t bytes) = 0;

    // Matrix multiplies: exactly kernels/gemm.h (C overwritten).
    virtual void matmul_nn(const float* A, const float* B, float* C, int M, int N, int K) = 0;
    virtual void matmul_nt(const float* A, const float* B, float* C, int M, int N, int K) = 0;
    virtual void matmul_tn(const float* A, const float* B, float* C, int M, int N, int K) = 0;

    // Layers and losses: exactly the kernels/ops.h function of the same name.
    virtual void bias_add(const float* x, const float* b, float* y, int rows, int cols) = 0;
    virtual void bias_grad(const float* dy, float* db, int rows, int cols) = 0;
    virtual void relu_fwd(const float* x, float* y, size_t n) = 0;
    virtual void relu_bwd(const float* x, const float* dy, float* dx, size_t n) = 0;
    virtual void gelu_fwd(const float* x, float* y, size_t n) = 0;
    virtual void gelu_bwd(const float* x, const float* dy, float* dx, size_t n) = 0;
    virtual void xent_fwd_bwd(const float* logits, const int32_t* labels, int B, int C,
                              float* row_loss, float* dlogits) = 0;
    virtual void sum_div(const float* x, size_t n, float divisor, float* out) = 0;
    virtual void layernorm_fwd(const float* x, const float* w, const float* b, float* y,
                               float* mean, float* rstd, int rows, int C, float eps) = 0;
    virtual void layernorm_bwd(const float* dy, const float* x, const float* w,
                               const float* mean, const float* rstd, float* dx, float* dw,
                               float* db, int rows, int C) = 0;
    virtual void embedding_fwd(const float* table, const int32_t* idx, float* out, int N,
                               int C) = 0;
    virtual void embedding_bwd(const float* dout, const int32_t* idx, float* dtable, int N,
                               int V, int C) = 0;
    virtual void unpack_u8_records(const uint8_t* rec, int B, int record_bytes, int features,
                                   float* x, int32_t* labels) = 0;
    virtual void attention_fwd(const float* qkv, float* y, float* att, int B, int T, int C,
                               int H) = 0;
    virtual void attention_bwd(const float* dy, const float* qkv, const float* att, float* dqkv,
                               float* datt, int B, int T, int C, int H) = 0;

    // Optimisers and state arithmetic.
    virtual void sgd_momentum(float* p, const float* g, float* buf, size_t n, float lr,
                              float momentum, float wd) = 0;
    virtual void adamw(float* p, const float* g, float* m, float* v, size_t n, float lr,
                       float beta1, float beta2, float eps, float wd, float b1t, float b2t) = 0;
    virtual void add_inplace(float* acc, const float* x, size_t n) = 0;
    virtual void div_inplace(float* x, size_t n, float d) = 0;
    virtual void canonicalize_nan(float* x, size_t n) = 0;
    // `work` holds ops::clip_work_floats(n) floats; norm_out is one float (both device memory).
    virtual void clip_grad_norm(float* g, size_t n, float max_norm, float* work,
                                float* norm_out) = 0;
};

// The CPU reference backend running on `ex` (the pool must outlive the backend).
std::unique_ptr<Backend> make_cpu_backend(const Exec& ex);

// A backend by name: "cpu" always; "cuda" only in builds with STEP_HAVE_CUDA (error
// "backend-unavailable" otherwise); anything else is "unknown-backend".
Result<std::unique_ptr<Backend>> make_backend(std::string_view name, const Exec& ex);
// The CUDA twin (kernels/cuda/cuda_backend.h, STEP_HAVE_CUDA builds only) provides
//   Result<std::unique_ptr<Backend>> make_cuda_backend(const Exec& ex);
// returning an error (e.g. "no-device") when no GPU is usable.

// The names this build can make, e.g. {"cpu"} or {"cpu", "cuda"}.
std::vector<std::string> backend_names();

}  // namespace step::kernels
