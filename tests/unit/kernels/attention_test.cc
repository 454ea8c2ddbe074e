// Causal self-attention and gradient clipping (kernels/ops.h): the mask, exact small cases, the
// clipping definition to the bit, the same bits on 1 to 3 threads and every vector level, and
// their FLOP counts. (Finite-difference checks of the attention backward: ops_grad_test.cc.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/attention_avx2.h"
#include "kernels/detmath.h"
#include "kernels/op_flops.h"
#include "kernels/ops.h"
#include "kernels/ops_fast.h"

using namespace step::kernels;

namespace {

std::vector<float> uniform(uint32_t seed, size_t n, float scale) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-scale, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = u(rng);
    return v;
}

std::vector<uint32_t> bits(const std::vector<float>& v) {
    std::vector<uint32_t> out(v.size());
    std::memcpy(out.data(), v.data(), 4 * v.size());
    return out;
}

struct Attn {
    int B, T, C, H;
    std::vector<float> y, att, dqkv, datt;
    Attn(int b, int t, int c, int h) : B(b), T(t), C(c), H(h) {}
    size_t tt() const { return static_cast<size_t>(B) * H * T * T; }
    // The reference ops, or (fast) the CPU backend's vector path of kernels/ops_fast.h.
    void run(const Exec& ex, const std::vector<float>& qkv, const std::vector<float>& dy,
             bool fast = false) {
        y.assign(static_cast<size_t>(B) * T * C, 7.0f);
        att.assign(tt(), 7.0f);
        dqkv.assign(qkv.size(), 7.0f);
        datt.assign(tt(), 7.0f);
        auto fwd = fast ? fast::attention_fwd : ops::attention_fwd;
        auto bwd = fast ? fast::attention_bwd : ops::attention_bwd;
        fwd(ex, qkv.data(), y.data(), att.data(), B, T, C, H);
        bwd(ex, dy.data(), qkv.data(), att.data(), dqkv.data(), datt.data(), B, T, C, H);
    }
};

}  // namespace

TEST_CASE("attention is causal: a later token never changes an earlier output's bits") {
    Attn a(2, 7, 12, 3), b(2, 7, 12, 3);
    const size_t row = 3 * 12;
    auto qkv = uniform(1, 2 * 7 * row, 2.0f), dy = uniform(2, 2 * 7 * 12, 1.0f);
    a.run(Exec{}, qkv, dy);
    for (size_t c = 0; c < row; ++c) qkv[4 * row + c] = qkv[4 * row + c] * -3.0f;  // b 0, t 4
    b.run(Exec{}, qkv, dy);
    auto y_rows = [](const Attn& x, size_t r0, size_t r1) {
        return bits(std::vector<float>(x.y.begin() + r0 * 12, x.y.begin() + r1 * 12));
    };
    CHECK(y_rows(a, 0, 4) == y_rows(b, 0, 4));    // batch 0, tokens 0..3
    CHECK(y_rows(a, 4, 5) != y_rows(b, 4, 5));    // token 4 itself sees the change
    CHECK(y_rows(a, 7, 14) == y_rows(b, 7, 14));  // batch 1 untouched
    // Masked entries are +0 (bit pattern 0) in att and datt.
    for (size_t p = 0; p < 2 * 3; ++p)
        for (int i = 0; i < 7; ++i)
            for (int j = i + 1; j < 7; ++j) {
                CHECK(float_bits(a.att[(p * 7 + i) * 7 + j]) == 0u);
                CHECK(float_bits(a.datt[(p * 7 + i) * 7 + j]) == 0u);
            }
}

TEST_CASE("attention of one token is v exactly and its backward passes dy to dv") {
    Attn a(1, 1, 16, 1);
    auto qkv = uniform(3, 48, 2.0f), dy = uniform(4, 16, 1.0f);
    a.run(Exec{}, qkv, dy);
    CHECK(a.att[0] == 1.0f);
    for (int d = 0; d < 16; ++d) {
        CHECK(a.y[d] == qkv[32 + d]);
        CHECK(a.dqkv[d] == 0.0f);        // dq: ds = p * (dp - r) = 0
        CHECK(a.dqkv[16 + d] == 0.0f);   // dk
        CHECK(a.dqkv[32 + d] == dy[d]);  // dv = fmaf(1, dy, +0)
    }
    CHECK(ops::attention_scale(16) == 0.25f);
    CHECK(ops::attention_scale(64) == 0.125f);
    CHECK(ops::attention_scale(8) == 1.0f / std::sqrt(8.0f));
}

TEST_CASE("attention: the same bits on 1 2 and 3 threads and every vector level") {
    // Head widths with and without 8-lane tails, sequences with and without 16-key tails.
    struct Shape {
        int B, T, C, H;
    };
    ThreadPool two(2), three(3);
    for (Shape sh :
         {Shape{3, 9, 12, 3}, Shape{2, 33, 40, 2}, Shape{1, 17, 80, 2}, Shape{2, 20, 32, 2}}) {
        auto qkv = uniform(5, static_cast<size_t>(sh.B) * sh.T * 3 * sh.C, 3.0f);
        auto dy = uniform(6, static_cast<size_t>(sh.B) * sh.T * sh.C, 1.0f);
        qkv[7] = 60.0f;  // a large score: det_exp underflows for the others in its row
        Attn one(sh.B, sh.T, sh.C, sh.H);
        one.run(Exec{}, qkv, dy);
        for (int s = 0; s <= static_cast<int>(detect_simd()); ++s)
            for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &two, &three}) {
                INFO("T " << sh.T << " C " << sh.C << " H " << sh.H << " threads "
                          << (pool ? pool->size() : 1) << " simd "
                          << simd_name(static_cast<Simd>(s)));
                Attn many(sh.B, sh.T, sh.C, sh.H);
                many.run(Exec{pool, static_cast<Simd>(s)}, qkv, dy, true);
                CHECK(bits(many.y) == bits(one.y));
                CHECK(bits(many.att) == bits(one.att));
                CHECK(bits(many.dqkv) == bits(one.dqkv));
                CHECK(bits(many.datt) == bits(one.datt));
            }
    }
}

TEST_CASE("the fast path's 8-lane det_exp equals det_exp on every path") {
    if (detect_simd() == Simd::kScalar) {
        WARN("no AVX2 on this CPU: skipped");
        return;
    }
    std::vector<float> xs;
    for (uint64_t u = 0; u < (uint64_t{1} << 32); u += 4099) xs.push_back(bits_float(uint32_t(u)));
    // Around the overflow, underflow-to-0, subnormal-result (k < -126) and k > 127 boundaries.
    for (float edge : {88.72283935546875f, -103.97208404541015625f, -87.3365479f, 88.3762589f})
        for (int d = -3000; d <= 3000; ++d) xs.push_back(bits_float(float_bits(edge) + d));
    for (float v : {0.0f, -0.0f, INFINITY, -INFINITY, std::nanf(""), -std::nanf("5"), 1e-45f})
        xs.push_back(v);
    for (float m : {0.0f, 3.5f}) {
        std::vector<float> got = xs;
        for (size_t i = 0; i < got.size(); i += 4093)  // 4093: every call ends in a masked tail
            detail::exp_shifted_avx2(got.data() + i,
                                     static_cast<int>(std::min<size_t>(4093, got.size() - i)), m);
        size_t bad = 0;  // the first lane that differs (asserting per value is slow)
        while (bad < xs.size() && float_bits(got[bad]) == float_bits(det_exp(xs[bad] - m))) ++bad;
        INFO("m " << m << " x " << (bad < xs.size() ? xs[bad] : 0.0f));
        CHECK(bad == xs.size());
    }
}

TEST_CASE("clip_grad_norm follows its written order to the bit and scales only above max_norm") {
    const size_t n = 5000;  // 5 chunks, the last one partial
    auto g = uniform(7, n, 0.5f);
    std::vector<float> work(ops::clip_work_floats(n), 7.0f);
    float norm = 0.0f;
    // The definition, written out.
    float total = 0.0f;
    for (size_t c = 0; c < ops::clip_chunks(n); ++c) {
        float part = 0.0f;
        for (size_t i = c * ops::kClipChunk; i < std::min(n, (c + 1) * ops::kClipChunk); ++i)
            part = part + g[i] * g[i];
        total = total + part;
    }
    const float want_norm = std::sqrt(total);
    const float coef = 2.0f / (want_norm + ops::kClipEps);
    REQUIRE(coef < 1.0f);
    double exact = 0;
    for (float v : g) exact += static_cast<double>(v) * static_cast<double>(v);
    CHECK(std::fabs(static_cast<double>(want_norm) - std::sqrt(exact)) < 1e-5 * std::sqrt(exact));

    auto clipped = g;
    ops::clip_grad_norm(Exec{}, clipped.data(), n, 2.0f, work.data(), &norm);
    CHECK(float_bits(norm) == float_bits(want_norm));
    CHECK(float_bits(work.back()) == float_bits(coef));
    for (size_t i = 0; i < n; ++i) REQUIRE(float_bits(clipped[i]) == float_bits(g[i] * coef));
    double after = 0;
    for (float v : clipped) after += static_cast<double>(v) * static_cast<double>(v);
    CHECK(std::fabs(std::sqrt(after) - 2.0) < 1e-5);

    ThreadPool three(3);
    auto threaded = g;
    float norm3 = 0.0f;
    ops::clip_grad_norm(Exec{&three, detect_simd()}, threaded.data(), n, 2.0f, work.data(), &norm3);
    CHECK(float_bits(norm3) == float_bits(norm));
    CHECK(bits(threaded) == bits(clipped));

    auto kept = g;  // max_norm above the norm: not a bit changes
    ops::clip_grad_norm(Exec{}, kept.data(), n, want_norm * 2.0f, work.data(), &norm);
    CHECK(bits(kept) == bits(g));
    kept[10] = std::nanf("");  // a NaN norm leaves the gradients as they are
    auto with_nan = kept;
    ops::clip_grad_norm(Exec{}, with_nan.data(), n, 1.0f, work.data(), &norm);
    CHECK(std::isnan(norm));
    CHECK(bits(with_nan) == bits(kept));
    ops::clip_grad_norm(Exec{}, nullptr, 0, 1.0f, work.data(), &norm);  // empty: norm +0
    CHECK(float_bits(norm) == 0u);
}

TEST_CASE("FLOP counts of attention and clipping follow docs/kernels.md") {
    // One token, D = 16: forward 2D + 1 + 1 + det_exp + 1 + 1 + 2D = 92, backward 8D + 5 = 133.
    CHECK(attention_flops(1, 1, 16, 1) == 92 + 133);
    // T = 2: 3 causal pairs and 1 max comparison per (b, h); 2 x 2 (b, h) pairs, D = 4.
    CHECK(attention_flops(2, 2, 8, 2) == 4 * (3 * (16 + 4 + 24) + 1 + 3 * (32 + 5)));
    // The gpt{256,64,2,64,4} at B = 16: 30.1 MFLOP a layer, 2,080 pairs a head.
    CHECK(attention_flops(16, 64, 64, 4) == 64ull * (2080 * (64 + 28 + 133) + 2016));
    CHECK(clip_grad_norm_flops(1025) == 3 * 1025 + 2 + 4);
    CHECK(clip_grad_norm_flops(0) == 4);
}
