// Dispatch for kernels/ops_fast.h: the AVX2 bodies (ops_avx2.cc) when ex.simd and the CPU allow,
// else the reference functions; large arrays split into blocks over the pool. Blocks partition
// outputs only (bias_grad splits columns, each column still summed over rows in order), so the
// split never changes a bit.
#include "kernels/ops_fast.h"

#include <algorithm>

#include "kernels/attention_avx2.h"
#include "kernels/detmath.h"
#include "kernels/gelu_avx2.h"
#include "kernels/ops.h"
#include "kernels/ops_avx2.h"
#include "kernels/ops_util.h"

namespace step::kernels::detail {

bool use_avx2(const Exec& ex) {
    static const Simd best = detect_simd();
    return ex.simd != Simd::kScalar && best != Simd::kScalar;
}

}  // namespace step::kernels::detail

namespace step::kernels::fast {

namespace {
using detail::for_blocks;
using detail::kElementGrain;
using detail::use_avx2;
}  // namespace

void bias_add(const Exec& ex, const float* x, const float* b, float* y, int rows, int cols) {
    if (!use_avx2(ex)) return ops::bias_add(ex, x, b, y, rows, cols);
    for_blocks(ex, static_cast<size_t>(rows), 16, [&](size_t r0, size_t r1) {
        detail::bias_add_avx2(x, b, y, r0, r1, cols);
    });
}

void bias_grad(const Exec& ex, const float* dy, float* db, int rows, int cols) {
    if (!use_avx2(ex)) return ops::bias_grad(ex, dy, db, rows, cols);
    for_blocks(ex, static_cast<size_t>(cols), 64, [&](size_t c0, size_t c1) {
        detail::bias_grad_avx2(dy, db, rows, cols, c0, c1);
    });
}

void relu_fwd(const Exec& ex, const float* x, float* y, size_t n) {
    if (!use_avx2(ex)) return ops::relu_fwd(ex, x, y, n);
    for_blocks(ex, n, kElementGrain, [&](size_t i0, size_t i1) { detail::relu_fwd_avx2(x, y, i0, i1); });
}

void relu_bwd(const Exec& ex, const float* x, const float* dy, float* dx, size_t n) {
    if (!use_avx2(ex)) return ops::relu_bwd(ex, x, dy, dx, n);
    for_blocks(ex, n, kElementGrain,
               [&](size_t i0, size_t i1) { detail::relu_bwd_avx2(x, dy, dx, i0, i1); });
}

void sgd_momentum(const Exec& ex, float* p, const float* g, float* buf, size_t n, float lr,
                  float momentum, float wd) {
    if (!use_avx2(ex)) return ops::sgd_momentum(ex, p, g, buf, n, lr, momentum, wd);
    // 8 lanes: the step's three 1 MB arrays make it memory-bound, and 16 lanes measured no faster.
    for_blocks(ex, n, kElementGrain, [&](size_t i0, size_t i1) {
        detail::sgd_momentum_avx2(p, g, buf, i0, i1, lr, momentum, wd);
    });
}

void unpack_u8_records(const Exec& ex, const uint8_t* rec, int B, int record_bytes, int features,
                       float* x, int32_t* labels) {
    if (!use_avx2(ex)) return ops::unpack_u8_records(rec, B, record_bytes, features, x, labels);
    for (int i = 0; i < B; ++i) {
        const uint8_t* r = rec + static_cast<size_t>(i) * record_bytes;
        detail::pixels_avx2(r, x + static_cast<size_t>(i) * features, features);
        labels[i] = r[features];
    }
}

void adamw(const Exec& ex, float* p, const float* g, float* m, float* v, size_t n, float lr,
           float beta1, float beta2, float eps, float wd, float b1t, float b2t) {
    if (!use_avx2(ex)) return ops::adamw(ex, p, g, m, v, n, lr, beta1, beta2, eps, wd, b1t, b2t);
    // The same four float subtractions as ops::adamw.
    const float omb1 = 1.0f - beta1, omb2 = 1.0f - beta2;
    const float c1 = 1.0f - b1t, c2 = 1.0f - b2t;
    for_blocks(ex, n, kElementGrain, [&](size_t i0, size_t i1) {
        detail::adamw_avx2(p, g, m, v, i0, i1, lr, beta1, beta2, omb1, omb2, c1, c2, eps, wd);
    });
}

void gelu_fwd(const Exec& ex, const float* x, float* y, size_t n) {
    if (!use_avx2(ex)) return ops::gelu_fwd(ex, x, y, n);
    const detail::GeluConstants k{ops::kSqrtHalf, ops::kInvSqrt2Pi};
    for_blocks(ex, n, kElementGrain,
               [&](size_t i0, size_t i1) { detail::gelu_fwd_avx2(x, y, i0, i1, k); });
}

void gelu_bwd(const Exec& ex, const float* x, const float* dy, float* dx, size_t n) {
    if (!use_avx2(ex)) return ops::gelu_bwd(ex, x, dy, dx, n);
    const detail::GeluConstants k{ops::kSqrtHalf, ops::kInvSqrt2Pi};
    for_blocks(ex, n, kElementGrain,
               [&](size_t i0, size_t i1) { detail::gelu_bwd_avx2(x, dy, dx, i0, i1, k); });
}

namespace {
// One row of ops::xent_fwd_bwd: d[j] = det_exp(x[j] - m) once (8 lanes), then the reference's
// sum, det_log and (p - t) / fb from those values. x is read before d is written (they may alias).
void xent_row(const float* x, int32_t label, int C, float fb, float* loss, float* d) {
    float m = x[0];
    for (int j = 1; j < C; ++j) m = x[j] > m ? x[j] : m;
    const bool valid = label >= 0 && label < C;
    const float x_label = valid ? x[label] : 0.0f;
    std::copy(x, x + C, d);
    detail::exp_shifted_avx2(d, C, m);
    float s = 0.0f;
    for (int j = 0; j < C; ++j) s = s + d[j];
    const float lse = m + det_log(s);
    const float qnan = bits_float(ops::kCanonicalNaN);
    *loss = valid ? lse - x_label : qnan;
    for (int j = 0; j < C; ++j) {
        const float p = d[j] / s;
        const float t = j == label ? 1.0f : 0.0f;
        d[j] = valid ? (p - t) / fb : qnan;
    }
}
}  // namespace

void xent_fwd_bwd(const Exec& ex, const float* logits, const int32_t* labels, int B, int C,
                  float* row_loss, float* dlogits) {
    if (!use_avx2(ex)) return ops::xent_fwd_bwd(ex, logits, labels, B, C, row_loss, dlogits);
    const float fb = static_cast<float>(B);
    for_blocks(ex, static_cast<size_t>(B), 8, [&](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; ++r)
            xent_row(logits + r * C, labels[r], C, fb, row_loss + r, dlogits + r * C);
    });
}

}  // namespace step::kernels::fast
