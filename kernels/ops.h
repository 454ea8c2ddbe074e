// The deterministic CPU reference ops: pure functions over flat row-major float arrays. Each
// op's result is defined bit for bit by the comment above it (the CUDA twin in kernels/cuda/
// must reproduce these exact operation sequences). Rules for all of them:
//   - every arithmetic step is one binary32 operation rounded to nearest even; fmaf appears only
//     where written `fmaf`; no contraction (the build uses -ffp-contract=off);
//   - every reduction runs in the stated index order from +0.0f; threads split outputs only;
//   - transcendentals are det_exp/det_log/det_erf (kernels/detmath.h).
// `ex` only says how to run (threads); it never changes a bit.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "kernels/exec.h"

namespace step::kernels::ops {

// y[r][c] = x[r][c] + b[c]                                         (x may equal y)
void bias_add(const Exec& ex, const float* x, const float* b, float* y, int rows, int cols);
// db[c] = sum over r = 0..rows-1 of dy[r][c]   (acc = +0; acc = acc + dy[r][c])
void bias_grad(const Exec& ex, const float* dy, float* db, int rows, int cols);

// y = x > 0 ? x : +0.0f       (NaN -> +0: the comparison is false)
void relu_fwd(const Exec& ex, const float* x, float* y, size_t n);
// dx = x > 0 ? dy : +0.0f      (x is the pre-activation input)
void relu_bwd(const Exec& ex, const float* x, const float* dy, float* dx, size_t n);

// GELU, erf form (PyTorch's default):  y = (0.5f * x) * (1.0f + det_erf(x * kSqrtHalf))
void gelu_fwd(const Exec& ex, const float* x, float* y, size_t n);
// cdf = 0.5f * (1.0f + det_erf(x * kSqrtHalf)); pdf = det_exp(-0.5f * (x * x)) * kInvSqrt2Pi;
// dx = dy * (cdf + x * pdf)
void gelu_bwd(const Exec& ex, const float* x, const float* dy, float* dx, size_t n);
inline constexpr float kSqrtHalf = 0.707106781186547524f;
inline constexpr float kInvSqrt2Pi = 0.398942280401432678f;

// Softmax cross-entropy over rows of `logits` [B][C] with integer labels in [0, C).
// Per row i: m = max over j in order (m = x0; m = x_j > m ? x_j : m);
//   s = sum_j det_exp(x_j - m) in order from +0;  lse = m + det_log(s);
//   row_loss[i] = lse - x[label];
//   dlogits[i][j] = (det_exp(x_j - m) / s - (j == label ? 1 : 0)) / (float)B.
// A label outside [0, C) gives a NaN loss and row gradient (deterministic, provable).
void xent_fwd_bwd(const Exec& ex, const float* logits, const int32_t* labels, int B, int C,
                  float* row_loss, float* dlogits);
// out[0] = (sum_{i=0..n-1} x[i] in order from +0) / divisor
void sum_div(const float* x, size_t n, float divisor, float* out);

// LayerNorm over rows of x [rows][C]:
//   mean = (sum_j x_j) / C;  var = (sum_j (x_j - mean)^2) / C  (each square then added, in order);
//   rstd = 1.0f / sqrtf(var + eps);  y_j = ((x_j - mean) * rstd) * w_j + b_j.
void layernorm_fwd(const Exec& ex, const float* x, const float* w, const float* b, float* y,
                   float* mean, float* rstd, int rows, int C, float eps);
// xhat_j = (x_j - mean) * rstd;  dxhat_j = dy_j * w_j;
//   a = sum_j dxhat_j / C; bsum = sum_j (dxhat_j * xhat_j) / C  (sums in order, then divide);
//   dx_j = (dxhat_j - a - xhat_j * bsum) * rstd;
//   dw_j = sum_r dy[r][j] * xhat[r][j], db_j = sum_r dy[r][j]  (rows in order, from +0; dw/db
//   are overwritten).
void layernorm_bwd(const Exec& ex, const float* dy, const float* x, const float* w,
                   const float* mean, const float* rstd, float* dx, float* dw, float* db, int rows,
                   int C);

// out[i][c] = table[idx[i]][c]   (idx must be in [0, V): callers validate)
void embedding_fwd(const Exec& ex, const float* table, const int32_t* idx, float* out, int N,
                   int C);
// dtable = 0; then for i = 0..N-1 in order: dtable[idx[i]][c] += dout[i][c]
void embedding_bwd(const Exec& ex, const float* dout, const int32_t* idx, float* dtable, int N,
                   int V, int C);

// Causal multi-head self-attention (GPT-2's), over packed projections qkv [B][T][3C]: token t's
// row holds q (columns 0..C-1), k (C..2C-1) and v (2C..3C-1); head h uses columns h*D..h*D+D-1
// of each, D = C / H (callers check C % H == 0). dot(a, b) = (acc = +0; acc = fmaf(a[d], b[d],
// acc), d = 0..D-1), as in GEMM. For every (b, h) and query i, over keys j = 0..i only (causal):
//   s_j = dot(q_i, k_j) * scale,  scale = attention_scale(D);
//   m = s_0; m = s_j > m ? s_j : m (j = 1..i);  e_j = det_exp(s_j - m);
//   sum = (acc = +0; acc = acc + e_j, j = 0..i);  p_j = e_j / sum;
//   y[b][i][h*D + d] = (acc = +0; acc = fmaf(p_j, v_j[d], acc), j = 0..i).
// att [B][H][T][T] keeps p (att[b][h][i][j] = p_j for j <= i, +0 for j > i) for the backward.
// Threads split (b, h) pairs only.
void attention_fwd(const Exec& ex, const float* qkv, float* y, float* att, int B, int T, int C,
                   int H);
// The backward, given dy [B][T][C] and att from attention_fwd. For every (b, h):
//   dp_ij = dot(dy_i, v_j) for j <= i (dy_i: head h's columns of dy's row i);
//   r_i = (acc = +0; acc = fmaf(p_ij, dp_ij, acc), j = 0..i);
//   ds_ij = (p_ij * (dp_ij - r_i)) * scale   (datt[b][h][i][j]; +0 for j > i);
//   dq_i[d] = (acc = +0; acc = fmaf(ds_ij, k_j[d], acc), j = 0..i);
//   dk_j[d] = (acc = +0; acc = fmaf(ds_ij, q_i[d], acc), i = j..T-1);
//   dv_j[d] = (acc = +0; acc = fmaf(p_ij, dy_i[d], acc), i = j..T-1).
// dqkv [B][T][3C] is overwritten (dq, dk, dv at q's, k's and v's columns); datt [B][H][T][T] is
// the op's workspace and holds ds on return.
void attention_bwd(const Exec& ex, const float* dy, const float* qkv, const float* att,
                   float* dqkv, float* datt, int B, int T, int C, int H);
// The score scale: 1.0f / sqrtf((float)D), each step exactly rounded (0.25f for D = 16).
inline float attention_scale(int D) { return 1.0f / std::sqrt(static_cast<float>(D)); }

// Gradient clipping by global norm over g[0..n): the whole gradient vector, which has the
// parameter vector's layout (every tensor, in the model's order). One fixed two-level order that
// depends on n only: chunk c = g[c*kClipChunk .. min(n, (c+1)*kClipChunk)), c = 0..chunks-1,
//   part[c] = (acc = +0; acc = acc + g_i * g_i, i in the chunk in order);
//   total = (acc = +0; acc = acc + part[c], c = 0..chunks-1);  norm = sqrtf(total);
//   coef = max_norm / (norm + kClipEps);  if (coef < 1.0f) g_i = g_i * coef for every i.
// (PyTorch's clip_grad_norm_: coef >= 1 leaves g unchanged, as its clamp does; a NaN norm also
// leaves g unchanged.) work holds clip_work_floats(n) floats (the parts, then coef);
// norm_out[0] = norm. Threads split chunks and elements, never a sum.
void clip_grad_norm(const Exec& ex, float* g, size_t n, float max_norm, float* work,
                    float* norm_out);
inline constexpr size_t kClipChunk = 1024;
inline constexpr float kClipEps = 1e-6f;
inline constexpr size_t clip_chunks(size_t n) { return (n + kClipChunk - 1) / kClipChunk; }
inline constexpr size_t clip_work_floats(size_t n) { return clip_chunks(n) + 1; }

// SGD with momentum and (coupled, PyTorch-style) weight decay, per element:
//   g' = g + wd * p;  buf = momentum * buf + g';  p = p - lr * buf.
void sgd_momentum(const Exec& ex, float* p, const float* g, float* buf, size_t n, float lr,
                  float momentum, float wd);
// AdamW (decoupled weight decay), per element, with b1t = beta1^t and b2t = beta2^t of this step
// (the caller advances them in the state first: b1t = b1t * beta1):
//   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * (g * g);
//   mhat = m / (1 - b1t);  vhat = v / (1 - b2t);
//   p = p - lr * (wd * p);  p = p - lr * (mhat / (sqrtf(vhat) + eps)).
// (1 - beta1), (1 - beta2), (1 - b1t), (1 - b2t) are each one float subtraction.
void adamw(const Exec& ex, float* p, const float* g, float* m, float* v, size_t n, float lr,
           float beta1, float beta2, float eps, float wd, float b1t, float b2t);

// acc[i] = acc[i] + x[i]      (the K-state mean: acc = s0; acc += s1; ...; then divide)
void add_inplace(const Exec& ex, float* acc, const float* x, size_t n);
// x[i] = x[i] / d
void div_inplace(const Exec& ex, float* x, size_t n, float d);

// Every NaN becomes the canonical quiet NaN 0x7fc00000 (sign and payload dropped).
inline constexpr uint32_t kCanonicalNaN = 0x7fc00000u;
void canonicalize_nan(float* x, size_t n);

// Records of `record_bytes` bytes: the first `features` bytes are u8 inputs, byte `features`
// the label. x[i][j] = (float)rec[i][j] / 255.0f (one division), label[i] = rec[i][features].
void unpack_u8_records(const uint8_t* rec, int B, int record_bytes, int features, float* x,
                       int32_t* labels);

}  // namespace step::kernels::ops
