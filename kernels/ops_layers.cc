// Layer ops: bias, activations, softmax cross-entropy, LayerNorm, embedding (definitions in
// ops.h). Parallel loops split rows or columns of the output, never a sum.
#include <cmath>

#include "kernels/detmath.h"
#include "kernels/ops.h"
#include "kernels/ops_util.h"

namespace step::kernels::ops {

using detail::for_blocks;
using detail::kElementGrain;

void bias_add(const Exec& ex, const float* x, const float* b, float* y, int rows, int cols) {
    for_blocks(ex, static_cast<size_t>(rows), 16, [&](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; ++r)
            for (int c = 0; c < cols; ++c) y[r * cols + c] = x[r * cols + c] + b[c];
    });
}

void bias_grad(const Exec& ex, const float* dy, float* db, int rows, int cols) {
    for_blocks(ex, static_cast<size_t>(cols), 64, [&](size_t c0, size_t c1) {
        for (size_t c = c0; c < c1; ++c) db[c] = 0.0f;
        for (int r = 0; r < rows; ++r)
            for (size_t c = c0; c < c1; ++c) db[c] = db[c] + dy[static_cast<size_t>(r) * cols + c];
    });
}

void relu_fwd(const Exec& ex, const float* x, float* y, size_t n) {
    for_blocks(ex, n, kElementGrain, [&](size_t i0, size_t i1) {
        for (size_t i = i0; i < i1; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
    });
}

void relu_bwd(const Exec& ex, const float* x, const float* dy, float* dx, size_t n) {
    for_blocks(ex, n, kElementGrain, [&](size_t i0, size_t i1) {
        for (size_t i = i0; i < i1; ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
    });
}

void gelu_fwd(const Exec& ex, const float* x, float* y, size_t n) {
    for_blocks(ex, n, 4096, [&](size_t i0, size_t i1) {
        for (size_t i = i0; i < i1; ++i)
            y[i] = (0.5f * x[i]) * (1.0f + det_erf(x[i] * kSqrtHalf));
    });
}

void gelu_bwd(const Exec& ex, const float* x, const float* dy, float* dx, size_t n) {
    for_blocks(ex, n, 4096, [&](size_t i0, size_t i1) {
        for (size_t i = i0; i < i1; ++i) {
            float v = x[i];
            float cdf = 0.5f * (1.0f + det_erf(v * kSqrtHalf));
            float pdf = det_exp(-0.5f * (v * v)) * kInvSqrt2Pi;
            dx[i] = dy[i] * (cdf + v * pdf);
        }
    });
}

void xent_fwd_bwd(const Exec& ex, const float* logits, const int32_t* labels, int B, int C,
                  float* row_loss, float* dlogits) {
    const float fb = static_cast<float>(B);
    for_blocks(ex, static_cast<size_t>(B), 8, [&](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; ++r) {
            const float* x = logits + r * C;
            float* d = dlogits + r * C;
            float m = x[0];
            for (int j = 1; j < C; ++j) m = x[j] > m ? x[j] : m;
            // d[j] holds det_exp(x_j - m) until the sum is known (each computed once).
            float s = 0.0f;
            for (int j = 0; j < C; ++j) {
                d[j] = det_exp(x[j] - m);
                s = s + d[j];
            }
            int32_t label = labels[r];
            bool valid = label >= 0 && label < C;
            float lse = m + det_log(s);
            row_loss[r] = valid ? lse - x[label] : bits_float(kCanonicalNaN);
            for (int j = 0; j < C; ++j) {
                float p = d[j] / s;
                float t = j == label ? 1.0f : 0.0f;
                d[j] = valid ? (p - t) / fb : bits_float(kCanonicalNaN);
            }
        }
    });
}

void sum_div(const float* x, size_t n, float divisor, float* out) {
    float acc = 0.0f;
    for (size_t i = 0; i < n; ++i) acc = acc + x[i];
    out[0] = acc / divisor;
}

void layernorm_fwd(const Exec& ex, const float* x, const float* w, const float* b, float* y,
                   float* mean, float* rstd, int rows, int C, float eps) {
    const float fc = static_cast<float>(C);
    for_blocks(ex, static_cast<size_t>(rows), 8, [&](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; ++r) {
            const float* xr = x + r * C;
            float s = 0.0f;
            for (int j = 0; j < C; ++j) s = s + xr[j];
            float mu = s / fc;
            float v = 0.0f;
            for (int j = 0; j < C; ++j) {
                float dxj = xr[j] - mu;
                v = v + dxj * dxj;
            }
            v = v / fc;
            float rs = 1.0f / std::sqrt(v + eps);
            for (int j = 0; j < C; ++j) y[r * C + j] = ((xr[j] - mu) * rs) * w[j] + b[j];
            mean[r] = mu;
            rstd[r] = rs;
        }
    });
}

void layernorm_bwd(const Exec& ex, const float* dy, const float* x, const float* w,
                   const float* mean, const float* rstd, float* dx, float* dw, float* db, int rows,
                   int C) {
    const float fc = static_cast<float>(C);
    for_blocks(ex, static_cast<size_t>(rows), 8, [&](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; ++r) {
            const float* xr = x + r * C;
            const float* dyr = dy + r * C;
            float a = 0.0f, bs = 0.0f;
            for (int j = 0; j < C; ++j) {
                float xhat = (xr[j] - mean[r]) * rstd[r];
                float dxhat = dyr[j] * w[j];
                a = a + dxhat;
                bs = bs + dxhat * xhat;
            }
            a = a / fc;
            bs = bs / fc;
            for (int j = 0; j < C; ++j) {
                float xhat = (xr[j] - mean[r]) * rstd[r];
                float dxhat = dyr[j] * w[j];
                dx[r * C + j] = (dxhat - a - xhat * bs) * rstd[r];
            }
        }
    });
    for_blocks(ex, static_cast<size_t>(C), 64, [&](size_t c0, size_t c1) {
        for (size_t j = c0; j < c1; ++j) {
            dw[j] = 0.0f;
            db[j] = 0.0f;
        }
        for (int r = 0; r < rows; ++r)
            for (size_t j = c0; j < c1; ++j) {
                size_t k = static_cast<size_t>(r) * C + j;
                float xhat = (x[k] - mean[r]) * rstd[r];
                dw[j] = dw[j] + dy[k] * xhat;
                db[j] = db[j] + dy[k];
            }
    });
}

void embedding_fwd(const Exec& ex, const float* table, const int32_t* idx, float* out, int N,
                   int C) {
    for_blocks(ex, static_cast<size_t>(N), 16, [&](size_t i0, size_t i1) {
        for (size_t i = i0; i < i1; ++i)
            for (int c = 0; c < C; ++c) out[i * C + c] = table[static_cast<size_t>(idx[i]) * C + c];
    });
}

void embedding_bwd(const Exec& ex, const float* dout, const int32_t* idx, float* dtable, int N,
                   int V, int C) {
    // Split over columns: each column's accumulation still runs over i in order.
    for_blocks(ex, static_cast<size_t>(C), 64, [&](size_t c0, size_t c1) {
        for (int v = 0; v < V; ++v)
            for (size_t c = c0; c < c1; ++c) dtable[static_cast<size_t>(v) * C + c] = 0.0f;
        for (int i = 0; i < N; ++i) {
            float* row = dtable + static_cast<size_t>(idx[i]) * C;
            for (size_t c = c0; c < c1; ++c) row[c] = row[c] + dout[static_cast<size_t>(i) * C + c];
        }
    });
}

void unpack_u8_records(const uint8_t* rec, int B, int record_bytes, int features, float* x,
                       int32_t* labels) {
    for (int i = 0; i < B; ++i) {
        const uint8_t* r = rec + static_cast<size_t>(i) * record_bytes;
        for (int j = 0; j < features; ++j)
            x[static_cast<size_t>(i) * features + j] = static_cast<float>(r[j]) / 255.0f;
        labels[i] = r[features];
    }
}

}  // namespace step::kernels::ops
