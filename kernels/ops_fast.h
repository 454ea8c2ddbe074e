// Vectorised, threaded versions of the hottest element-wise reference ops (kernels/ops.h). Each
// computes exactly the ops.h definition, bit for bit: the same IEEE operations per element in
// the same order (separate multiply and add, never an FMA; exactly rounded division and sqrt),
// only 8 or 16 elements at a time. The vector level comes from ex.simd (clamped to the CPU's);
// at Simd::kScalar they run the reference functions themselves.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/exec.h"

namespace step::kernels::fast {

void bias_add(const Exec& ex, const float* x, const float* b, float* y, int rows, int cols);
void bias_grad(const Exec& ex, const float* dy, float* db, int rows, int cols);
void relu_fwd(const Exec& ex, const float* x, float* y, size_t n);
void relu_bwd(const Exec& ex, const float* x, const float* dy, float* dx, size_t n);
void sgd_momentum(const Exec& ex, float* p, const float* g, float* buf, size_t n, float lr,
                  float momentum, float wd);
// Pixels 8 at a time: the exact u8 -> float conversion, then the reference's division by 255.0f
// (correctly rounded in every lane).
void unpack_u8_records(const Exec& ex, const uint8_t* rec, int B, int record_bytes, int features,
                       float* x, int32_t* labels);
void adamw(const Exec& ex, float* p, const float* g, float* m, float* v, size_t n, float lr,
           float beta1, float beta2, float eps, float wd, float b1t, float b2t);
// GELU and the softmax cross-entropy: detmath.h's det_erf and det_exp on 8 AVX2+FMA lanes
// (kernels/detmath_avx2.h); the loss computes each row's exponentials once, the row's max, sum
// and det_log stay scalar and in order.
void gelu_fwd(const Exec& ex, const float* x, float* y, size_t n);
void gelu_bwd(const Exec& ex, const float* x, const float* dy, float* dx, size_t n);
void xent_fwd_bwd(const Exec& ex, const float* logits, const int32_t* labels, int B, int C,
                  float* row_loss, float* dlogits);
// Attention (kernels/ops_attention.cc): AVX2+FMA lanes across keys for the dot products and
// across columns for the weighted sums; exp, max and the sums over a row stay scalar.
void attention_fwd(const Exec& ex, const float* qkv, float* y, float* att, int B, int T, int C,
                   int H);
void attention_bwd(const Exec& ex, const float* dy, const float* qkv, const float* att,
                   float* dqkv, float* datt, int B, int T, int C, int H);

}  // namespace step::kernels::fast
