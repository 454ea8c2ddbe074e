// Causal self-attention and gradient clipping by global norm (definitions in ops.h). Attention
// splits (batch, head) pairs over threads: each pair owns its head's columns of y and dqkv and
// its block of att/datt, so every sum runs whole on one thread in the documented order.
#include <algorithm>
#include <cmath>

#include "kernels/detmath.h"
#include "kernels/ops.h"
#include "kernels/ops_util.h"

namespace step::kernels::ops {

using detail::for_blocks;
using detail::kElementGrain;

namespace {

// One (batch, head) pair's view of the packed rows: q_i = q(i), k_j = k(j), v_j = v(j), each D
// floats; rows are 3C apart.
struct Head {
    const float* base;  // qkv + b*T*3C + h*D
    size_t row;         // 3C
    int C, D, T;
    const float* q(int i) const { return base + static_cast<size_t>(i) * row; }
    const float* k(int j) const { return q(j) + C; }
    const float* v(int j) const { return q(j) + 2 * static_cast<size_t>(C); }
};

Head head_of(const float* qkv, int b, int h, int T, int C, int H) {
    const int D = C / H;
    const size_t row = 3 * static_cast<size_t>(C);
    return Head{qkv + static_cast<size_t>(b) * T * row + static_cast<size_t>(h) * D, row, C, D, T};
}

float dot(const float* a, const float* b, int D) {
    float acc = 0.0f;
    for (int d = 0; d < D; ++d) acc = det_fmaf(a[d], b[d], acc);
    return acc;
}

// Row i of the probabilities: scores, running max, det_exp, sum in order, divide; +0 past i.
void softmax_row(const Head& hd, int i, float scale, float* a) {
    for (int j = 0; j <= i; ++j) a[j] = dot(hd.q(i), hd.k(j), hd.D) * scale;
    float m = a[0];
    for (int j = 1; j <= i; ++j) m = a[j] > m ? a[j] : m;
    for (int j = 0; j <= i; ++j) a[j] = det_exp(a[j] - m);
    float sum = 0.0f;
    for (int j = 0; j <= i; ++j) sum = sum + a[j];
    for (int j = 0; j <= i; ++j) a[j] = a[j] / sum;
    for (int j = i + 1; j < hd.T; ++j) a[j] = 0.0f;
}

void pair_fwd(const Head& hd, float scale, float* att, float* y, size_t y_row) {
    for (int i = 0; i < hd.T; ++i) {
        float* a = att + static_cast<size_t>(i) * hd.T;
        softmax_row(hd, i, scale, a);
        float* yr = y + static_cast<size_t>(i) * y_row;
        for (int d = 0; d < hd.D; ++d) yr[d] = 0.0f;
        for (int j = 0; j <= i; ++j) {
            const float* v = hd.v(j);
            for (int d = 0; d < hd.D; ++d) yr[d] = det_fmaf(a[j], v[d], yr[d]);
        }
    }
}

// ds for row i (into datt's row) and dq_i.
void pair_bwd_row(const Head& hd, int i, float scale, const float* a, const float* dyr, float* ds,
                  float* dq) {
    for (int j = 0; j <= i; ++j) ds[j] = dot(dyr, hd.v(j), hd.D);
    float r = 0.0f;
    for (int j = 0; j <= i; ++j) r = det_fmaf(a[j], ds[j], r);
    for (int j = 0; j <= i; ++j) ds[j] = (a[j] * (ds[j] - r)) * scale;
    for (int j = i + 1; j < hd.T; ++j) ds[j] = 0.0f;
    for (int d = 0; d < hd.D; ++d) dq[d] = 0.0f;
    for (int j = 0; j <= i; ++j) {
        const float* k = hd.k(j);
        for (int d = 0; d < hd.D; ++d) dq[d] = det_fmaf(ds[j], k[d], dq[d]);
    }
}

// dk_j and dv_j: sums over queries i = j..T-1 in order.
void pair_bwd_kv(const Head& hd, const float* att, const float* datt, const float* dy,
                 size_t dy_row, float* dqkv_head) {
    const size_t T = static_cast<size_t>(hd.T);
    for (size_t j = 0; j < T; ++j) {
        float* dk = dqkv_head + j * hd.row + hd.C;
        float* dv = dk + hd.C;
        for (int d = 0; d < hd.D; ++d) dk[d] = dv[d] = 0.0f;
        for (size_t i = j; i < T; ++i) {
            const float s = datt[i * T + j], p = att[i * T + j];
            const float* q = hd.q(static_cast<int>(i));
            const float* dyr = dy + i * dy_row;
            for (int d = 0; d < hd.D; ++d) {
                dk[d] = det_fmaf(s, q[d], dk[d]);
                dv[d] = det_fmaf(p, dyr[d], dv[d]);
            }
        }
    }
}

}  // namespace

void attention_fwd(const Exec& ex, const float* qkv, float* y, float* att, int B, int T, int C,
                   int H) {
    const int D = C / H;
    const float scale = attention_scale(D);
    const size_t tt = static_cast<size_t>(T) * T;
    for_blocks(ex, static_cast<size_t>(B) * H, 1, [&](size_t p0, size_t p1) {
        for (size_t p = p0; p < p1; ++p) {
            const int b = static_cast<int>(p / H), h = static_cast<int>(p % H);
            float* yb = y + static_cast<size_t>(b) * T * C + static_cast<size_t>(h) * D;
            pair_fwd(head_of(qkv, b, h, T, C, H), scale, att + p * tt, yb, C);
        }
    });
}

void attention_bwd(const Exec& ex, const float* dy, const float* qkv, const float* att, float* dqkv,
                   float* datt, int B, int T, int C, int H) {
    const int D = C / H;
    const float scale = attention_scale(D);
    const size_t tt = static_cast<size_t>(T) * T;
    for_blocks(ex, static_cast<size_t>(B) * H, 1, [&](size_t p0, size_t p1) {
        for (size_t p = p0; p < p1; ++p) {
            const int b = static_cast<int>(p / H), h = static_cast<int>(p % H);
            const Head hd = head_of(qkv, b, h, T, C, H);
            const size_t off = hd.base - qkv;  // the same head's place in dqkv
            const float* dyb = dy + static_cast<size_t>(b) * T * C + static_cast<size_t>(h) * D;
            const float* a = att + p * tt;
            float* ds = datt + p * tt;
            for (int i = 0; i < T; ++i) {
                const size_t r = static_cast<size_t>(i);
                pair_bwd_row(hd, i, scale, a + r * T, dyb + r * C, ds + r * T,
                             dqkv + off + r * hd.row);
            }
            pair_bwd_kv(hd, a, ds, dyb, C, dqkv + off);
        }
    });
}

void clip_grad_norm(const Exec& ex, float* g, size_t n, float max_norm, float* work,
                    float* norm_out) {
    const size_t chunks = clip_chunks(n);
    for_blocks(ex, chunks, 16, [&](size_t c0, size_t c1) {
        for (size_t c = c0; c < c1; ++c) {
            const size_t end = std::min(n, (c + 1) * kClipChunk);
            float acc = 0.0f;
            for (size_t i = c * kClipChunk; i < end; ++i) acc = acc + g[i] * g[i];
            work[c] = acc;
        }
    });
    float total = 0.0f;
    for (size_t c = 0; c < chunks; ++c) total = total + work[c];
    const float norm = std::sqrt(total);
    const float coef = max_norm / (norm + kClipEps);
    work[chunks] = coef;
    norm_out[0] = norm;
    if (!(coef < 1.0f)) return;
    for_blocks(ex, n, kElementGrain, [&](size_t i0, size_t i1) {
        for (size_t i = i0; i < i1; ++i) g[i] = g[i] * coef;
    });
}

}  // namespace step::kernels::ops
