// Causal self-attention and gradient clipping by global norm (definitions in ops.h). Attention
// splits (batch, head) pairs over threads: each pair owns its head's columns of y and dqkv and
// its block of att/datt, so every sum runs whole on one thread in the documented order.
#include <algorithm>
#include <cmath>

#include <vector>

#include "kernels/attention_avx2.h"
#include "kernels/detmath.h"
#include "kernels/ops.h"
#include "kernels/ops_fast.h"
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

// a[0..i] holds the scaled scores of row i: running max, det_exp, sum in order, divide; +0 past
// i. (Shared by the reference and, with kFast, the fast path: det_exp on 8 lanes.)
template <bool kFast = false>
void softmax_tail(float* a, int i, int T) {
    float m = a[0];
    for (int j = 1; j <= i; ++j) m = a[j] > m ? a[j] : m;
    if constexpr (kFast)
        detail::exp_shifted_avx2(a, i + 1, m);
    else
        for (int j = 0; j <= i; ++j) a[j] = det_exp(a[j] - m);
    float sum = 0.0f;
    for (int j = 0; j <= i; ++j) sum = sum + a[j];
    for (int j = 0; j <= i; ++j) a[j] = a[j] / sum;
    for (int j = i + 1; j < T; ++j) a[j] = 0.0f;
}

// ds[0..i] holds dp of row i, a the probabilities: r in order, then ds; +0 past i.
template <bool kFast = false>
void ds_tail(const float* a, float* ds, int i, int T, float scale) {
    float r = 0.0f;
    if constexpr (kFast)
        r = detail::fma_chain_avx2(a, ds, i + 1);
    else
        for (int j = 0; j <= i; ++j) r = det_fmaf(a[j], ds[j], r);
    for (int j = 0; j <= i; ++j) ds[j] = (a[j] * (ds[j] - r)) * scale;
    for (int j = i + 1; j < T; ++j) ds[j] = 0.0f;
}

void pair_fwd(const Head& hd, float scale, float* att, float* y, size_t y_row) {
    for (int i = 0; i < hd.T; ++i) {
        float* a = att + static_cast<size_t>(i) * hd.T;
        for (int j = 0; j <= i; ++j) a[j] = dot(hd.q(i), hd.k(j), hd.D) * scale;
        softmax_tail(a, i, hd.T);
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
    ds_tail(a, ds, i, hd.T, scale);
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

// Everything one (batch, head) pair reads and owns. y/dy point at the head's first column of
// the sequence's first row (rows C apart), dqkv at the head's q columns (rows 3C apart).
struct Pair {
    Head hd;
    float scale;
    float* att;   // [T][T] block (const in the backward)
    float* datt;  // [T][T] block (backward only)
    float* y;     // forward output; in the backward, dy
    float* dqkv;
    size_t y_row;  // C
};

// fn(pair) for every (b, h), pairs split over the pool (each pair whole on one thread).
template <class Fn>
void for_pairs(const Exec& ex, const float* qkv, const float* att, const float* datt,
               const float* y, const float* dqkv, int B, int T, int C, int H, Fn&& fn) {
    const int D = C / H;
    const float scale = attention_scale(D);
    const size_t tt = static_cast<size_t>(T) * T;
    for_blocks(ex, static_cast<size_t>(B) * H, 1, [&](size_t p0, size_t p1) {
        for (size_t p = p0; p < p1; ++p) {
            const int b = static_cast<int>(p / H), h = static_cast<int>(p % H);
            const Head hd = head_of(qkv, b, h, T, C, H);
            const size_t y_off = static_cast<size_t>(b) * T * C + static_cast<size_t>(h) * D;
            const size_t qkv_off = static_cast<size_t>(hd.base - qkv);
            fn(Pair{hd, scale, const_cast<float*>(att) + p * tt,
                    datt ? const_cast<float*>(datt) + p * tt : nullptr,
                    const_cast<float*>(y) + y_off,
                    dqkv ? const_cast<float*>(dqkv) + qkv_off : nullptr, static_cast<size_t>(C)});
        }
    });
}

void pair_bwd(const Pair& pr) {
    const Head& hd = pr.hd;
    const size_t T = static_cast<size_t>(hd.T);
    for (size_t i = 0; i < T; ++i)
        pair_bwd_row(hd, static_cast<int>(i), pr.scale, pr.att + i * T, pr.y + i * pr.y_row,
                     pr.datt + i * T, pr.dqkv + i * hd.row);
    pair_bwd_kv(hd, pr.att, pr.datt, pr.y, pr.y_row, pr.dqkv);
}

// The fast path: keys (values) transposed once per pair so 8 dot products run in 8 lanes.
void transpose_rows(const float* first, size_t row, int T, int D, float* xt) {
    for (int j = 0; j < T; ++j)
        for (int d = 0; d < D; ++d)
            xt[static_cast<size_t>(d) * T + j] = first[static_cast<size_t>(j) * row + d];
}

void pair_fwd_fast(const Pair& pr, float* kt) {
    const Head& hd = pr.hd;
    const size_t T = static_cast<size_t>(hd.T);
    transpose_rows(hd.k(0), hd.row, hd.T, hd.D, kt);
    for (int i = 0; i < hd.T; ++i) {
        float* a = pr.att + static_cast<size_t>(i) * T;
        detail::dots_avx2(hd.q(i), kt, T, i + 1, hd.D, a);
        for (int j = 0; j <= i; ++j) a[j] = a[j] * pr.scale;
        softmax_tail<true>(a, i, hd.T);
        detail::weighted_rows_avx2(a, 1, hd.v(0), hd.row, i + 1, hd.D,
                                   pr.y + static_cast<size_t>(i) * pr.y_row);
    }
}

void pair_bwd_fast(const Pair& pr, float* vt) {
    const Head& hd = pr.hd;
    const size_t T = static_cast<size_t>(hd.T);
    transpose_rows(hd.v(0), hd.row, hd.T, hd.D, vt);
    for (int i = 0; i < hd.T; ++i) {
        const size_t r = static_cast<size_t>(i);
        float* ds = pr.datt + r * T;
        detail::dots_avx2(pr.y + r * pr.y_row, vt, T, i + 1, hd.D, ds);
        ds_tail<true>(pr.att + r * T, ds, i, hd.T, pr.scale);
        detail::weighted_rows_avx2(ds, 1, hd.k(0), hd.row, i + 1, hd.D, pr.dqkv + r * hd.row);
    }
    for (size_t j = 0; j < T; ++j) {
        const int n = static_cast<int>(T - j);
        float* dk = pr.dqkv + j * hd.row + hd.C;
        detail::weighted_rows_avx2(pr.datt + j * T + j, T, hd.q(static_cast<int>(j)), hd.row, n,
                                   hd.D, dk);
        detail::weighted_rows_avx2(pr.att + j * T + j, T, pr.y + j * pr.y_row, pr.y_row, n, hd.D,
                                   dk + hd.C);
    }
}

}  // namespace

void attention_fwd(const Exec& ex, const float* qkv, float* y, float* att, int B, int T, int C,
                   int H) {
    for_pairs(ex, qkv, att, nullptr, y, nullptr, B, T, C, H,
              [](const Pair& pr) { pair_fwd(pr.hd, pr.scale, pr.att, pr.y, pr.y_row); });
}

void attention_bwd(const Exec& ex, const float* dy, const float* qkv, const float* att, float* dqkv,
                   float* datt, int B, int T, int C, int H) {
    for_pairs(ex, qkv, att, datt, dy, dqkv, B, T, C, H, [](const Pair& pr) { pair_bwd(pr); });
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

namespace step::kernels::fast {

void attention_fwd(const Exec& ex, const float* qkv, float* y, float* att, int B, int T, int C,
                   int H) {
    if (!detail::use_avx2(ex)) return ops::attention_fwd(ex, qkv, y, att, B, T, C, H);
    ops::for_pairs(ex, qkv, att, nullptr, y, nullptr, B, T, C, H, [&](const ops::Pair& pr) {
        std::vector<float> kt(static_cast<size_t>(T) * pr.hd.D);
        ops::pair_fwd_fast(pr, kt.data());
    });
}

void attention_bwd(const Exec& ex, const float* dy, const float* qkv, const float* att, float* dqkv,
                   float* datt, int B, int T, int C, int H) {
    if (!detail::use_avx2(ex)) return ops::attention_bwd(ex, dy, qkv, att, dqkv, datt, B, T, C, H);
    ops::for_pairs(ex, qkv, att, datt, dy, dqkv, B, T, C, H, [&](const ops::Pair& pr) {
        std::vector<float> vt(static_cast<size_t>(T) * pr.hd.D);
        ops::pair_bwd_fast(pr, vt.data());
    });
}

}  // namespace step::kernels::fast
