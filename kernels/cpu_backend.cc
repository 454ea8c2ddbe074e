// CpuBackend: the reference ops of kernels/ops.h and kernels/gemm.h on host memory, and the
// backend registry (CUDA registers only in STEP_HAVE_CUDA builds).
#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels/backend.h"
#include "kernels/errors.h"
#include "kernels/gemm.h"
#include "kernels/ops.h"
#include "kernels/ops_fast.h"  // vectorised twins of the hottest ops, bitwise equal

#if defined(STEP_HAVE_CUDA)
#include "kernels/cuda/cuda_backend.h"
#endif

namespace step::kernels {

namespace {

class CpuBackend final : public Backend {
public:
    explicit CpuBackend(const Exec& ex) : ex_(ex) {}
    std::string name() const override { return "cpu"; }

    Buffer alloc(size_t bytes) override {
        // 64-byte alignment for the vector GEMM paths; never null, even for 0 bytes.
        size_t rounded = (bytes + 63) / 64 * 64;
        void* p = std::aligned_alloc(64, rounded ? rounded : 64);
        if (!p) throw std::bad_alloc();
        std::memset(p, 0, rounded ? rounded : 64);
        return Buffer(p, bytes, [](void* q) { std::free(q); });
    }
    void upload(void* dst, const void* src, size_t bytes) override {
        if (bytes) std::memcpy(dst, src, bytes);
    }
    void download(void* dst, const void* src, size_t bytes) override {
        if (bytes) std::memcpy(dst, src, bytes);
    }
    void copy(void* dst, const void* src, size_t bytes) override {
        if (bytes) std::memmove(dst, src, bytes);
    }
    void zero(void* dst, size_t bytes) override {
        if (bytes) std::memset(dst, 0, bytes);
    }

    void matmul_nn(const float* A, const float* B, float* C, int M, int N, int K) override {
        gemm_nn(ex_, A, B, C, M, N, K);
    }
    void matmul_nt(const float* A, const float* B, float* C, int M, int N, int K) override {
        gemm_nt(ex_, A, B, C, M, N, K);
    }
    void matmul_tn(const float* A, const float* B, float* C, int M, int N, int K) override {
        gemm_tn(ex_, A, B, C, M, N, K);
    }

    void bias_add(const float* x, const float* b, float* y, int rows, int cols) override {
        fast::bias_add(ex_, x, b, y, rows, cols);
    }
    void bias_grad(const float* dy, float* db, int rows, int cols) override {
        fast::bias_grad(ex_, dy, db, rows, cols);
    }
    void relu_fwd(const float* x, float* y, size_t n) override { fast::relu_fwd(ex_, x, y, n); }
    void relu_bwd(const float* x, const float* dy, float* dx, size_t n) override {
        fast::relu_bwd(ex_, x, dy, dx, n);
    }
    void gelu_fwd(const float* x, float* y, size_t n) override { fast::gelu_fwd(ex_, x, y, n); }
    void gelu_bwd(const float* x, const float* dy, float* dx, size_t n) override {
        fast::gelu_bwd(ex_, x, dy, dx, n);
    }
    void xent_fwd_bwd(const float* logits, const int32_t* labels, int B, int C, float* row_loss,
                      float* dlogits) override {
        fast::xent_fwd_bwd(ex_, logits, labels, B, C, row_loss, dlogits);
    }
    void sum_div(const float* x, size_t n, float divisor, float* out) override {
        ops::sum_div(x, n, divisor, out);
    }
    void layernorm_fwd(const float* x, const float* w, const float* b, float* y, float* mean,
                       float* rstd, int rows, int C, float eps) override {
        ops::layernorm_fwd(ex_, x, w, b, y, mean, rstd, rows, C, eps);
    }
    void layernorm_bwd(const float* dy, const float* x, const float* w, const float* mean,
                       const float* rstd, float* dx, float* dw, float* db, int rows,
                       int C) override {
        ops::layernorm_bwd(ex_, dy, x, w, mean, rstd, dx, dw, db, rows, C);
    }
    void embedding_fwd(const float* table, const int32_t* idx, float* out, int N,
                       int C) override {
        ops::embedding_fwd(ex_, table, idx, out, N, C);
    }
    void embedding_bwd(const float* dout, const int32_t* idx, float* dtable, int N, int V,
                       int C) override {
        ops::embedding_bwd(ex_, dout, idx, dtable, N, V, C);
    }
    void unpack_u8_records(const uint8_t* rec, int B, int record_bytes, int features, float* x,
                           int32_t* labels) override {
        fast::unpack_u8_records(ex_, rec, B, record_bytes, features, x, labels);
    }
    void attention_fwd(const float* qkv, float* y, float* att, int B, int T, int C,
                       int H) override {
        fast::attention_fwd(ex_, qkv, y, att, B, T, C, H);
    }
    void attention_bwd(const float* dy, const float* qkv, const float* att, float* dqkv,
                       float* datt, int B, int T, int C, int H) override {
        fast::attention_bwd(ex_, dy, qkv, att, dqkv, datt, B, T, C, H);
    }
    void sgd_momentum(float* p, const float* g, float* buf, size_t n, float lr, float momentum,
                      float wd) override {
        fast::sgd_momentum(ex_, p, g, buf, n, lr, momentum, wd);
    }
    void adamw(float* p, const float* g, float* m, float* v, size_t n, float lr, float beta1,
               float beta2, float eps, float wd, float b1t, float b2t) override {
        fast::adamw(ex_, p, g, m, v, n, lr, beta1, beta2, eps, wd, b1t, b2t);
    }
    void add_inplace(float* acc, const float* x, size_t n) override {
        ops::add_inplace(ex_, acc, x, n);
    }
    void div_inplace(float* x, size_t n, float d) override { ops::div_inplace(ex_, x, n, d); }
    void canonicalize_nan(float* x, size_t n) override { ops::canonicalize_nan(x, n); }
    void clip_grad_norm(float* g, size_t n, float max_norm, float* work,
                        float* norm_out) override {
        ops::clip_grad_norm(ex_, g, n, max_norm, work, norm_out);
    }

private:
    Exec ex_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const Exec& ex) { return std::make_unique<CpuBackend>(ex); }

Result<std::unique_ptr<Backend>> make_backend(std::string_view name, const Exec& ex) {
    if (name == "cpu") return make_cpu_backend(ex);
    if (name == "cuda") {
#if defined(STEP_HAVE_CUDA)
        return make_cuda_backend(ex);
#else
        return Status::error(codes::kBackendUnavailable,
                             "this build has no CUDA backend (built without nvcc)");
#endif
    }
    return Status::error(codes::kUnknownBackend, "unknown backend '" + std::string(name) +
                                                "' (known: cpu, cuda)");
}

std::vector<std::string> backend_names() {
#if defined(STEP_HAVE_CUDA)
    return {"cpu", "cuda"};
#else
    return {"cpu"};
#endif
}

}  // namespace step::kernels
