// CUDA twins of the reference ops (kernels/ops.h, kernels/ops_layers.cc, ops_optim.cc). Each
// kernel body is the CPU loop body for one output, in the same operation order; transcendentals
// are the same det_* functions (kernels/detmath.h compiled for the device); division and sqrt
// are the exactly rounded __fdiv_rn / __fsqrt_rn; -fmad=false keeps a*b+c two roundings.
// Reductions (bias/LayerNorm gradients, softmax sums, embedding gradients, loss sum) run in one
// thread per output in the CPU's index order: no atomics, no tree sums.
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_ops.h"
#include "kernels/detmath.h"

namespace step::kernels::cuda {

namespace {
constexpr int kBlock = 256;
constexpr float kSqrtHalf = 0.707106781186547524f;   // == ops::kSqrtHalf
constexpr float kInvSqrt2Pi = 0.398942280401432678f; // == ops::kInvSqrt2Pi
constexpr uint32_t kCanonicalNaN = 0x7fc00000u;      // == ops::kCanonicalNaN

unsigned blocks_for(size_t n) { return static_cast<unsigned>((n + kBlock - 1) / kBlock); }

__device__ size_t global_index() {
    return static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}

__global__ void bias_add_k(const float* x, const float* b, float* y, int rows, int cols) {
    size_t i = global_index();
    if (i >= static_cast<size_t>(rows) * cols) return;
    y[i] = x[i] + b[i % cols];
}

__global__ void bias_grad_k(const float* dy, float* db, int rows, int cols) {
    int c = static_cast<int>(global_index());
    if (c >= cols) return;
    float acc = 0.0f;
    for (int r = 0; r < rows; ++r) acc = acc + dy[static_cast<size_t>(r) * cols + c];
    db[c] = acc;
}

__global__ void relu_fwd_k(const float* x, float* y, size_t n) {
    size_t i = global_index();
    if (i < n) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

__global__ void relu_bwd_k(const float* x, const float* dy, float* dx, size_t n) {
    size_t i = global_index();
    if (i < n) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

__global__ void gelu_fwd_k(const float* x, float* y, size_t n) {
    size_t i = global_index();
    if (i < n) y[i] = (0.5f * x[i]) * (1.0f + det_erf(x[i] * kSqrtHalf));
}

__global__ void gelu_bwd_k(const float* x, const float* dy, float* dx, size_t n) {
    size_t i = global_index();
    if (i >= n) return;
    float v = x[i];
    float cdf = 0.5f * (1.0f + det_erf(v * kSqrtHalf));
    float pdf = det_exp(-0.5f * (v * v)) * kInvSqrt2Pi;
    dx[i] = dy[i] * (cdf + v * pdf);
}

// One thread per row: the row's max, exp-sum and gradient in the CPU's order.
__global__ void xent_k(const float* logits, const int32_t* labels, int B, int C, float* row_loss,
                       float* dlogits) {
    int r = static_cast<int>(global_index());
    if (r >= B) return;
    const float fb = static_cast<float>(B);
    const float* x = logits + static_cast<size_t>(r) * C;
    float* d = dlogits + static_cast<size_t>(r) * C;
    float m = x[0];
    for (int j = 1; j < C; ++j) m = x[j] > m ? x[j] : m;
    float s = 0.0f;
    for (int j = 0; j < C; ++j) s = s + det_exp(x[j] - m);
    int32_t label = labels[r];
    bool valid = label >= 0 && label < C;
    float lse = m + det_log(s);
    row_loss[r] = valid ? lse - x[label] : bits_float(kCanonicalNaN);
    for (int j = 0; j < C; ++j) {
        float p = __fdiv_rn(det_exp(x[j] - m), s);
        float t = j == label ? 1.0f : 0.0f;
        d[j] = valid ? __fdiv_rn(p - t, fb) : bits_float(kCanonicalNaN);
    }
}

__global__ void sum_div_k(const float* x, size_t n, float divisor, float* out) {
    float acc = 0.0f;
    for (size_t i = 0; i < n; ++i) acc = acc + x[i];
    out[0] = __fdiv_rn(acc, divisor);
}

__global__ void layernorm_fwd_k(const float* x, const float* w, const float* b, float* y,
                                float* mean, float* rstd, int rows, int C, float eps) {
    int r = static_cast<int>(global_index());
    if (r >= rows) return;
    const float fc = static_cast<float>(C);
    const float* xr = x + static_cast<size_t>(r) * C;
    float* yr = y + static_cast<size_t>(r) * C;
    float s = 0.0f;
    for (int j = 0; j < C; ++j) s = s + xr[j];
    float mu = __fdiv_rn(s, fc);
    float v = 0.0f;
    for (int j = 0; j < C; ++j) {
        float dxj = xr[j] - mu;
        v = v + dxj * dxj;
    }
    v = __fdiv_rn(v, fc);
    float rs = __fdiv_rn(1.0f, __fsqrt_rn(v + eps));
    for (int j = 0; j < C; ++j) yr[j] = ((xr[j] - mu) * rs) * w[j] + b[j];
    mean[r] = mu;
    rstd[r] = rs;
}

__global__ void layernorm_bwd_dx_k(const float* dy, const float* x, const float* w,
                                   const float* mean, const float* rstd, float* dx, int rows,
                                   int C) {
    int r = static_cast<int>(global_index());
    if (r >= rows) return;
    const float fc = static_cast<float>(C);
    const float* xr = x + static_cast<size_t>(r) * C;
    const float* dyr = dy + static_cast<size_t>(r) * C;
    float a = 0.0f, bs = 0.0f;
    for (int j = 0; j < C; ++j) {
        float xhat = (xr[j] - mean[r]) * rstd[r];
        float dxhat = dyr[j] * w[j];
        a = a + dxhat;
        bs = bs + dxhat * xhat;
    }
    a = __fdiv_rn(a, fc);
    bs = __fdiv_rn(bs, fc);
    for (int j = 0; j < C; ++j) {
        float xhat = (xr[j] - mean[r]) * rstd[r];
        float dxhat = dyr[j] * w[j];
        dx[static_cast<size_t>(r) * C + j] = (dxhat - a - xhat * bs) * rstd[r];
    }
}

__global__ void layernorm_bwd_dw_k(const float* dy, const float* x, const float* mean,
                                   const float* rstd, float* dw, float* db, int rows, int C) {
    int j = static_cast<int>(global_index());
    if (j >= C) return;
    float w_acc = 0.0f, b_acc = 0.0f;
    for (int r = 0; r < rows; ++r) {
        size_t k = static_cast<size_t>(r) * C + j;
        float xhat = (x[k] - mean[r]) * rstd[r];
        w_acc = w_acc + dy[k] * xhat;
        b_acc = b_acc + dy[k];
    }
    dw[j] = w_acc;
    db[j] = b_acc;
}

__global__ void embedding_fwd_k(const float* table, const int32_t* idx, float* out, int N, int C) {
    size_t e = global_index();
    if (e >= static_cast<size_t>(N) * C) return;
    size_t i = e / C, c = e % C;
    out[e] = table[static_cast<size_t>(idx[i]) * C + c];
}

// One thread per column: rows of the table are zeroed, then dout rows added in order i = 0..N-1.
__global__ void embedding_bwd_k(const float* dout, const int32_t* idx, float* dtable, int N, int V,
                                int C) {
    int c = static_cast<int>(global_index());
    if (c >= C) return;
    for (int v = 0; v < V; ++v) dtable[static_cast<size_t>(v) * C + c] = 0.0f;
    for (int i = 0; i < N; ++i) {
        float* cell = dtable + static_cast<size_t>(idx[i]) * C + c;
        *cell = *cell + dout[static_cast<size_t>(i) * C + c];
    }
}

__global__ void unpack_k(const uint8_t* rec, int B, int record_bytes, int features, float* x,
                         int32_t* labels) {
    size_t e = global_index();
    size_t total = static_cast<size_t>(B) * features;
    if (e < total) {
        size_t i = e / features, j = e % features;
        x[e] = __fdiv_rn(static_cast<float>(rec[i * record_bytes + j]), 255.0f);
    }
    if (e < static_cast<size_t>(B)) labels[e] = rec[e * record_bytes + features];
}

__global__ void sgd_k(float* p, const float* g, float* buf, size_t n, float lr, float momentum,
                      float wd) {
    size_t i = global_index();
    if (i >= n) return;
    float gi = g[i] + wd * p[i];
    buf[i] = momentum * buf[i] + gi;
    p[i] = p[i] - lr * buf[i];
}

__global__ void adamw_k(float* p, const float* g, float* m, float* v, size_t n, float lr,
                        float beta1, float beta2, float omb1, float omb2, float c1, float c2,
                        float eps, float wd) {
    size_t i = global_index();
    if (i >= n) return;
    m[i] = beta1 * m[i] + omb1 * g[i];
    v[i] = beta2 * v[i] + omb2 * (g[i] * g[i]);
    float mhat = __fdiv_rn(m[i], c1);
    float vhat = __fdiv_rn(v[i], c2);
    p[i] = p[i] - lr * (wd * p[i]);
    p[i] = p[i] - lr * __fdiv_rn(mhat, __fsqrt_rn(vhat) + eps);
}

__global__ void add_k(float* acc, const float* x, size_t n) {
    size_t i = global_index();
    if (i < n) acc[i] = acc[i] + x[i];
}

__global__ void div_k(float* x, size_t n, float d) {
    size_t i = global_index();
    if (i < n) x[i] = __fdiv_rn(x[i], d);
}

__global__ void canonicalize_nan_k(float* x, size_t n) {
    size_t i = global_index();
    if (i < n && det_isnan(x[i])) x[i] = bits_float(kCanonicalNaN);
}

// Attention (ops::attention_fwd/bwd). Rows are indexed e = ((b*H + h)*T + i); outputs
// e = ((b*T + i)*C + c) with head h = c / D, d = c % D.
struct AttnDims {
    int B, T, C, H, D;
    size_t row;  // 3C
};

__device__ const float* head_base(const float* qkv, const AttnDims& a, int b, int h) {
    return qkv + static_cast<size_t>(b) * a.T * a.row + static_cast<size_t>(h) * a.D;
}

__device__ float head_dot(const float* x, const float* y, int D) {
    float acc = 0.0f;
    for (int d = 0; d < D; ++d) acc = __fmaf_rn(x[d], y[d], acc);
    return acc;
}

__global__ void attention_probs_k(const float* qkv, float* att, AttnDims a, float scale) {
    size_t e = global_index();
    if (e >= static_cast<size_t>(a.B) * a.H * a.T) return;
    const int i = static_cast<int>(e % a.T);
    const size_t p = e / a.T;
    const float* base = head_base(qkv, a, static_cast<int>(p / a.H), static_cast<int>(p % a.H));
    const float* q = base + static_cast<size_t>(i) * a.row;
    float* r = att + e * a.T;
    for (int j = 0; j <= i; ++j)
        r[j] = head_dot(q, base + static_cast<size_t>(j) * a.row + a.C, a.D) * scale;
    float m = r[0];
    for (int j = 1; j <= i; ++j) m = r[j] > m ? r[j] : m;
    for (int j = 0; j <= i; ++j) r[j] = det_exp(r[j] - m);
    float sum = 0.0f;
    for (int j = 0; j <= i; ++j) sum = sum + r[j];
    for (int j = 0; j <= i; ++j) r[j] = __fdiv_rn(r[j], sum);
    for (int j = i + 1; j < a.T; ++j) r[j] = 0.0f;
}

__global__ void attention_out_k(const float* qkv, const float* att, float* y, AttnDims a) {
    size_t e = global_index();
    if (e >= static_cast<size_t>(a.B) * a.T * a.C) return;
    const int c = static_cast<int>(e % a.C);
    const int i = static_cast<int>((e / a.C) % a.T), b = static_cast<int>(e / a.C / a.T);
    const int h = c / a.D, d = c % a.D;
    const float* v = head_base(qkv, a, b, h) + 2 * static_cast<size_t>(a.C) + d;
    const float* p = att + ((static_cast<size_t>(b) * a.H + h) * a.T + i) * a.T;
    float acc = 0.0f;
    for (int j = 0; j <= i; ++j) acc = __fmaf_rn(p[j], v[static_cast<size_t>(j) * a.row], acc);
    y[e] = acc;
}

__global__ void attention_ds_k(const float* dy, const float* qkv, const float* att, float* datt,
                               AttnDims a, float scale) {
    size_t e = global_index();
    if (e >= static_cast<size_t>(a.B) * a.H * a.T) return;
    const int i = static_cast<int>(e % a.T);
    const size_t p = e / a.T;
    const int b = static_cast<int>(p / a.H), h = static_cast<int>(p % a.H);
    const float* v = head_base(qkv, a, b, h) + 2 * static_cast<size_t>(a.C);
    const float* dyr = dy + (static_cast<size_t>(b) * a.T + i) * a.C + static_cast<size_t>(h) * a.D;
    const float* pr = att + e * a.T;
    float* ds = datt + e * a.T;
    for (int j = 0; j <= i; ++j) ds[j] = head_dot(dyr, v + static_cast<size_t>(j) * a.row, a.D);
    float r = 0.0f;
    for (int j = 0; j <= i; ++j) r = __fmaf_rn(pr[j], ds[j], r);
    for (int j = 0; j <= i; ++j) ds[j] = (pr[j] * (ds[j] - r)) * scale;
    for (int j = i + 1; j < a.T; ++j) ds[j] = 0.0f;
}

__global__ void attention_dq_k(const float* qkv, const float* datt, float* dqkv, AttnDims a) {
    size_t e = global_index();
    if (e >= static_cast<size_t>(a.B) * a.T * a.C) return;
    const int c = static_cast<int>(e % a.C);
    const int i = static_cast<int>((e / a.C) % a.T), b = static_cast<int>(e / a.C / a.T);
    const int h = c / a.D, d = c % a.D;
    const float* k = head_base(qkv, a, b, h) + a.C + d;
    const float* ds = datt + ((static_cast<size_t>(b) * a.H + h) * a.T + i) * a.T;
    float acc = 0.0f;
    for (int j = 0; j <= i; ++j) acc = __fmaf_rn(ds[j], k[static_cast<size_t>(j) * a.row], acc);
    dqkv[(static_cast<size_t>(b) * a.T + i) * a.row + c] = acc;
}

// dk_j[d] and dv_j[d]: queries i = j..T-1 in order.
__global__ void attention_dkv_k(const float* dy, const float* qkv, const float* att,
                                const float* datt, float* dqkv, AttnDims a) {
    size_t e = global_index();
    if (e >= static_cast<size_t>(a.B) * a.T * a.C) return;
    const int c = static_cast<int>(e % a.C);
    const int j = static_cast<int>((e / a.C) % a.T), b = static_cast<int>(e / a.C / a.T);
    const int h = c / a.D, d = c % a.D;
    const float* q = head_base(qkv, a, b, h) + d;
    const float* dyc = dy + static_cast<size_t>(b) * a.T * a.C + c;
    const size_t blk = (static_cast<size_t>(b) * a.H + h) * a.T * a.T;
    float dk = 0.0f, dv = 0.0f;
    for (int i = j; i < a.T; ++i) {
        const size_t ij = blk + static_cast<size_t>(i) * a.T + j;
        dk = __fmaf_rn(datt[ij], q[static_cast<size_t>(i) * a.row], dk);
        dv = __fmaf_rn(att[ij], dyc[static_cast<size_t>(i) * a.C], dv);
    }
    float* out = dqkv + (static_cast<size_t>(b) * a.T + j) * a.row + c;
    out[a.C] = dk;
    out[2 * static_cast<size_t>(a.C)] = dv;
}

// Gradient clipping (ops::clip_grad_norm): parts, then one thread for total/norm/coef, then scale.
__global__ void clip_parts_k(const float* g, size_t n, size_t chunk, size_t chunks, float* work) {
    size_t c = global_index();
    if (c >= chunks) return;
    const size_t end = (c + 1) * chunk < n ? (c + 1) * chunk : n;
    float acc = 0.0f;
    for (size_t i = c * chunk; i < end; ++i) acc = acc + g[i] * g[i];
    work[c] = acc;
}

__global__ void clip_coef_k(float* work, size_t chunks, float max_norm, float eps,
                            float* norm_out) {
    float total = 0.0f;
    for (size_t c = 0; c < chunks; ++c) total = total + work[c];
    const float norm = __fsqrt_rn(total);
    work[chunks] = __fdiv_rn(max_norm, norm + eps);
    norm_out[0] = norm;
}

__global__ void clip_scale_k(float* g, size_t n, const float* coef) {
    size_t i = global_index();
    const float c = coef[0];
    if (i < n && c < 1.0f) g[i] = g[i] * c;
}

void launched() { STEP_CUDA_CHECK(cudaGetLastError()); }
}  // namespace

#define STEP_LAUNCH(n, kernel, ...)                                       \
    do {                                                                  \
        if ((n) > 0) {                                                    \
            kernel<<<blocks_for(n), kBlock, 0, s>>>(__VA_ARGS__);         \
            launched();                                                   \
        }                                                                 \
    } while (0)

void bias_add(cudaStream_t s, const float* x, const float* b, float* y, int rows, int cols) {
    STEP_LAUNCH(static_cast<size_t>(rows) * cols, bias_add_k, x, b, y, rows, cols);
}
void bias_grad(cudaStream_t s, const float* dy, float* db, int rows, int cols) {
    STEP_LAUNCH(static_cast<size_t>(cols), bias_grad_k, dy, db, rows, cols);
}
void relu_fwd(cudaStream_t s, const float* x, float* y, size_t n) {
    STEP_LAUNCH(n, relu_fwd_k, x, y, n);
}
void relu_bwd(cudaStream_t s, const float* x, const float* dy, float* dx, size_t n) {
    STEP_LAUNCH(n, relu_bwd_k, x, dy, dx, n);
}
void gelu_fwd(cudaStream_t s, const float* x, float* y, size_t n) {
    STEP_LAUNCH(n, gelu_fwd_k, x, y, n);
}
void gelu_bwd(cudaStream_t s, const float* x, const float* dy, float* dx, size_t n) {
    STEP_LAUNCH(n, gelu_bwd_k, x, dy, dx, n);
}
void xent_fwd_bwd(cudaStream_t s, const float* logits, const int32_t* labels, int B, int C,
                  float* row_loss, float* dlogits) {
    if (C <= 0) return;
    STEP_LAUNCH(static_cast<size_t>(B), xent_k, logits, labels, B, C, row_loss, dlogits);
}
void sum_div(cudaStream_t s, const float* x, size_t n, float divisor, float* out) {
    sum_div_k<<<1, 1, 0, s>>>(x, n, divisor, out);
    launched();
}
void layernorm_fwd(cudaStream_t s, const float* x, const float* w, const float* b, float* y,
                   float* mean, float* rstd, int rows, int C, float eps) {
    STEP_LAUNCH(static_cast<size_t>(rows), layernorm_fwd_k, x, w, b, y, mean, rstd, rows, C, eps);
}
void layernorm_bwd(cudaStream_t s, const float* dy, const float* x, const float* w,
                   const float* mean, const float* rstd, float* dx, float* dw, float* db, int rows,
                   int C) {
    STEP_LAUNCH(static_cast<size_t>(rows), layernorm_bwd_dx_k, dy, x, w, mean, rstd, dx, rows, C);
    STEP_LAUNCH(static_cast<size_t>(C), layernorm_bwd_dw_k, dy, x, mean, rstd, dw, db, rows, C);
}
void embedding_fwd(cudaStream_t s, const float* table, const int32_t* idx, float* out, int N,
                   int C) {
    STEP_LAUNCH(static_cast<size_t>(N) * C, embedding_fwd_k, table, idx, out, N, C);
}
void embedding_bwd(cudaStream_t s, const float* dout, const int32_t* idx, float* dtable, int N,
                   int V, int C) {
    STEP_LAUNCH(static_cast<size_t>(C), embedding_bwd_k, dout, idx, dtable, N, V, C);
}
void unpack_u8_records(cudaStream_t s, const uint8_t* rec, int B, int record_bytes, int features,
                       float* x, int32_t* labels) {
    size_t total = static_cast<size_t>(B) * features;
    size_t n = total > static_cast<size_t>(B) ? total : static_cast<size_t>(B);
    STEP_LAUNCH(n, unpack_k, rec, B, record_bytes, features, x, labels);
}
void sgd_momentum(cudaStream_t s, float* p, const float* g, float* buf, size_t n, float lr,
                  float momentum, float wd) {
    STEP_LAUNCH(n, sgd_k, p, g, buf, n, lr, momentum, wd);
}
void adamw(cudaStream_t s, float* p, const float* g, float* m, float* v, size_t n, float lr,
           float beta1, float beta2, float omb1, float omb2, float c1, float c2, float eps,
           float wd) {
    STEP_LAUNCH(n, adamw_k, p, g, m, v, n, lr, beta1, beta2, omb1, omb2, c1, c2, eps, wd);
}
void add_inplace(cudaStream_t s, float* acc, const float* x, size_t n) {
    STEP_LAUNCH(n, add_k, acc, x, n);
}
void div_inplace(cudaStream_t s, float* x, size_t n, float d) { STEP_LAUNCH(n, div_k, x, n, d); }
void canonicalize_nan(cudaStream_t s, float* x, size_t n) {
    STEP_LAUNCH(n, canonicalize_nan_k, x, n);
}
void attention_fwd(cudaStream_t s, const float* qkv, float* y, float* att, int B, int T, int C,
                   int H, float scale) {
    if (H <= 0) return;
    const AttnDims a{B, T, C, H, C / H, 3 * static_cast<size_t>(C)};
    STEP_LAUNCH(static_cast<size_t>(B) * H * T, attention_probs_k, qkv, att, a, scale);
    STEP_LAUNCH(static_cast<size_t>(B) * T * C, attention_out_k, qkv, att, y, a);
}
void attention_bwd(cudaStream_t s, const float* dy, const float* qkv, const float* att,
                   float* dqkv, float* datt, int B, int T, int C, int H, float scale) {
    if (H <= 0) return;
    const AttnDims a{B, T, C, H, C / H, 3 * static_cast<size_t>(C)};
    STEP_LAUNCH(static_cast<size_t>(B) * H * T, attention_ds_k, dy, qkv, att, datt, a, scale);
    STEP_LAUNCH(static_cast<size_t>(B) * T * C, attention_dq_k, qkv, datt, dqkv, a);
    STEP_LAUNCH(static_cast<size_t>(B) * T * C, attention_dkv_k, dy, qkv, att, datt, dqkv, a);
}
void clip_grad_norm(cudaStream_t s, float* g, size_t n, float max_norm, float* work,
                    float* norm_out, size_t chunk, float eps) {
    const size_t chunks = (n + chunk - 1) / chunk;
    STEP_LAUNCH(chunks, clip_parts_k, g, n, chunk, chunks, work);
    clip_coef_k<<<1, 1, 0, s>>>(work, chunks, max_norm, eps, norm_out);
    launched();
    STEP_LAUNCH(n, clip_scale_k, g, n, work + chunks);
}

}  // namespace step::kernels::cuda
