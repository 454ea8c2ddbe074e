// Every op's backward against central finite differences of its forward (doubles in tests only),
// and the optimisers against their written definitions.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "kernels/backend.h"
#include "kernels/detmath.h"
#include "kernels/model.h"
#include "kernels/ops.h"
#include "kernels/rng.h"
#include "kernels/errors.h"
#include "tests/support/status_check.h"

using namespace step::kernels;

namespace {

const Exec kEx{};

std::vector<float> randoms(size_t n, uint64_t salt, float bound = 1.0f) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = rng_uniform(salt, RngPurpose::kInit, i, bound);
    return v;
}

// Loss L(x) = sum_i w_i * f(x)_i; compares analytic dL/dx with central differences.
void check_grad(std::vector<float> x, const std::function<double(const std::vector<float>&)>& L,
                const std::vector<float>& analytic, float h, double tol) {
    REQUIRE(analytic.size() == x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        float keep = x[i];
        x[i] = keep + h;
        double up = L(x);
        x[i] = keep - h;
        double down = L(x);
        x[i] = keep;
        double numeric = (up - down) / (2.0 * static_cast<double>(h));
        double a = static_cast<double>(analytic[i]);
        INFO("element " << i << " analytic " << a << " numeric " << numeric);
        CHECK(std::fabs(a - numeric) <= tol * std::max(1.0, std::fabs(numeric)));
    }
}

double dot(const std::vector<float>& a, const std::vector<float>& w) {
    double s = 0;
    for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * static_cast<double>(w[i]);
    return s;
}

// Causal attention in doubles, packed qkv [B][T][3C] -> y [B][T][C] (the ops.h definition).
std::vector<double> attention_reference(const std::vector<float>& qkv, int B, int T, int C, int H) {
    const int D = C / H;
    std::vector<double> y(static_cast<size_t>(B) * T * C);
    auto at = [&](int b, int t, int col) {
        return static_cast<double>(qkv[(static_cast<size_t>(b) * T + t) * 3 * C + col]);
    };
    for (int b = 0; b < B; ++b)
        for (int h = 0; h < H; ++h)
            for (int i = 0; i < T; ++i) {
                std::vector<double> p(i + 1);
                double mx = -1e300, sum = 0;
                for (int j = 0; j <= i; ++j) {
                    for (int d = 0; d < D; ++d)
                        p[j] += at(b, i, h * D + d) * at(b, j, C + h * D + d);
                    p[j] /= std::sqrt(static_cast<double>(D));
                    mx = std::max(mx, p[j]);
                }
                for (int j = 0; j <= i; ++j) sum += (p[j] = std::exp(p[j] - mx));
                for (int j = 0; j <= i; ++j)
                    for (int d = 0; d < D; ++d)
                        y[(static_cast<size_t>(b) * T + i) * C + h * D + d] +=
                            p[j] / sum * at(b, j, 2 * C + h * D + d);
            }
    return y;
}

}  // namespace

TEST_CASE("bias_add and bias_grad: gradient matches finite differences") {
    const int rows = 5, cols = 7;
    auto x = randoms(rows * cols, 1), b = randoms(cols, 2), w = randoms(rows * cols, 3);
    auto L = [&](const std::vector<float>& bb) {
        std::vector<float> y(rows * cols);
        ops::bias_add(kEx, x.data(), bb.data(), y.data(), rows, cols);
        return dot(y, w);
    };
    std::vector<float> db(cols);
    ops::bias_grad(kEx, w.data(), db.data(), rows, cols);
    check_grad(b, L, db, 1e-2f, 1e-3);
}

TEST_CASE("relu_bwd matches finite differences and relu maps NaN and -0 to +0") {
    auto x = randoms(64, 4), w = randoms(64, 5);
    for (float& v : x)
        if (std::fabs(v) < 0.05f) v = 0.5f;  // keep away from the kink
    auto L = [&](const std::vector<float>& xx) {
        std::vector<float> y(xx.size());
        ops::relu_fwd(kEx, xx.data(), y.data(), xx.size());
        return dot(y, w);
    };
    std::vector<float> dx(64);
    ops::relu_bwd(kEx, x.data(), w.data(), dx.data(), 64);
    check_grad(x, L, dx, 1e-3f, 1e-3);
    float in[3] = {-0.0f, std::nanf(""), -2.0f}, out[3];
    ops::relu_fwd(kEx, in, out, 3);
    for (float v : out) CHECK(bits_float(0) == v);
    for (float v : out) CHECK(float_bits(v) == 0u);
}

TEST_CASE("gelu_bwd matches finite differences of gelu_fwd") {
    auto x = randoms(64, 6, 4.0f), w = randoms(64, 7);
    auto L = [&](const std::vector<float>& xx) {
        std::vector<float> y(xx.size());
        ops::gelu_fwd(kEx, xx.data(), y.data(), xx.size());
        return dot(y, w);
    };
    std::vector<float> dx(64);
    ops::gelu_bwd(kEx, x.data(), w.data(), dx.data(), 64);
    check_grad(x, L, dx, 1e-2f, 2e-3);
    // Against the double-precision definition.
    std::vector<float> y(64);
    ops::gelu_fwd(kEx, x.data(), y.data(), 64);
    for (size_t i = 0; i < 64; ++i) {
        double v = static_cast<double>(x[i]);
        CHECK(std::fabs(static_cast<double>(y[i]) - 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)))) <
              1e-6);
    }
}

TEST_CASE("xent_fwd_bwd: loss matches log-softmax and dlogits matches finite differences") {
    const int B = 4, C = 6;
    auto logits = randoms(B * C, 8, 3.0f);
    std::vector<int32_t> labels = {0, 5, 2, 3};
    auto L = [&](const std::vector<float>& z) {
        std::vector<float> rl(B), d(B * C);
        float loss = 0;
        ops::xent_fwd_bwd(kEx, z.data(), labels.data(), B, C, rl.data(), d.data());
        ops::sum_div(rl.data(), B, static_cast<float>(B), &loss);
        return static_cast<double>(loss);
    };
    std::vector<float> rl(B), d(B * C);
    ops::xent_fwd_bwd(kEx, logits.data(), labels.data(), B, C, rl.data(), d.data());
    for (int i = 0; i < B; ++i) {
        double s = 0;
        for (int j = 0; j < C; ++j) s += std::exp(static_cast<double>(logits[i * C + j]));
        double want = std::log(s) - static_cast<double>(logits[i * C + labels[i]]);
        CHECK(std::fabs(static_cast<double>(rl[i]) - want) < 1e-5);
    }
    check_grad(logits, L, d, 1e-2f, 2e-3);
    // A label out of range is a NaN loss, not a crash.
    std::vector<int32_t> bad = {0, 6, 2, 3};
    ops::xent_fwd_bwd(kEx, logits.data(), bad.data(), B, C, rl.data(), d.data());
    CHECK(std::isnan(rl[1]));
    CHECK(!std::isnan(rl[0]));
}

TEST_CASE("layernorm_bwd: dx and dw and db match finite differences") {
    const int rows = 3, C = 8;
    auto x = randoms(rows * C, 9, 2.0f), w = randoms(C, 10), b = randoms(C, 11),
         up = randoms(rows * C, 12);
    auto fwd = [&](const std::vector<float>& xx, const std::vector<float>& ww,
                   const std::vector<float>& bb) {
        std::vector<float> y(rows * C), mean(rows), rstd(rows);
        ops::layernorm_fwd(kEx, xx.data(), ww.data(), bb.data(), y.data(), mean.data(),
                           rstd.data(), rows, C, 1e-5f);
        return dot(y, up);
    };
    std::vector<float> y(rows * C), mean(rows), rstd(rows), dx(rows * C), dw(C), db(C);
    ops::layernorm_fwd(kEx, x.data(), w.data(), b.data(), y.data(), mean.data(), rstd.data(),
                       rows, C, 1e-5f);
    ops::layernorm_bwd(kEx, up.data(), x.data(), w.data(), mean.data(), rstd.data(), dx.data(),
                       dw.data(), db.data(), rows, C);
    check_grad(x, [&](const std::vector<float>& v) { return fwd(v, w, b); }, dx, 1e-2f, 5e-3);
    check_grad(w, [&](const std::vector<float>& v) { return fwd(x, v, b); }, dw, 1e-2f, 2e-3);
    check_grad(b, [&](const std::vector<float>& v) { return fwd(x, w, v); }, db, 1e-2f, 2e-3);
}

TEST_CASE("embedding_bwd: repeated indices accumulate and the gradient matches finite differences") {
    const int V = 5, C = 3, N = 6;
    auto table = randoms(V * C, 13), up = randoms(N * C, 14);
    std::vector<int32_t> idx = {1, 3, 1, 0, 4, 1};
    auto L = [&](const std::vector<float>& t) {
        std::vector<float> out(N * C);
        ops::embedding_fwd(kEx, t.data(), idx.data(), out.data(), N, C);
        return dot(out, up);
    };
    std::vector<float> dt(V * C, 7.0f);  // overwritten, not accumulated into
    ops::embedding_bwd(kEx, up.data(), idx.data(), dt.data(), N, V, C);
    check_grad(table, L, dt, 1e-2f, 1e-3);
    for (int c = 0; c < C; ++c) CHECK(dt[2 * C + c] == 0.0f);
}

TEST_CASE("attention_bwd: dQ dK and dV match finite differences of attention_fwd") {
    const int B = 2, T = 5, C = 8, H = 2;
    const size_t n = static_cast<size_t>(B) * T * 3 * C, tt = static_cast<size_t>(B) * H * T * T;
    auto qkv = randoms(n, 18, 1.5f), up = randoms(static_cast<size_t>(B) * T * C, 19);
    auto L = [&](const std::vector<float>& in) {
        std::vector<float> y(up.size()), att(tt);
        ops::attention_fwd(kEx, in.data(), y.data(), att.data(), B, T, C, H);
        return dot(y, up);
    };
    std::vector<float> y(up.size()), att(tt), dqkv(n, 7.0f), datt(tt);
    ops::attention_fwd(kEx, qkv.data(), y.data(), att.data(), B, T, C, H);
    ops::attention_bwd(kEx, up.data(), qkv.data(), att.data(), dqkv.data(), datt.data(), B, T, C,
                       H);
    for (int part = 0; part < 3; ++part) {  // q, k, v columns of every row
        INFO("part " << "qkv"[part]);
        std::vector<float> x_part, g_part;
        std::vector<size_t> where;
        for (size_t r = 0; r < static_cast<size_t>(B) * T; ++r)
            for (int c = 0; c < C; ++c) where.push_back(r * 3 * C + part * C + c);
        for (size_t k : where) g_part.push_back(dqkv[k]);
        auto L_part = [&](const std::vector<float>& xp) {
            std::vector<float> full(qkv);
            for (size_t k = 0; k < where.size(); ++k) full[where[k]] = xp[k];
            return L(full);
        };
        for (size_t k : where) x_part.push_back(qkv[k]);
        check_grad(x_part, L_part, g_part, 1e-2f, 2e-3);
    }
    auto want = attention_reference(qkv, B, T, C, H);
    for (size_t i = 0; i < y.size(); ++i)
        CHECK(std::fabs(static_cast<double>(y[i]) - want[i]) < 1e-5);
}

TEST_CASE("mlp backward (all three GEMM layouts plus bias and activation) matches finite differences") {
    for (Activation act : {Activation::kRelu, Activation::kGelu}) {
        auto spec = parse_model_spec("mlp{6,5,4,3}", act);
        REQUIRE(spec.ok());
        auto model = make_model(*spec);
        REQUIRE(model.ok());
        auto be = make_cpu_backend(kEx);
        const int B = 4;
        auto run = (*model)->bind(*be, B);
        uint64_t P = (*model)->param_count();
        CHECK(P == 6 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3);
        std::vector<float> params(P);
        (*model)->init(42, params.data());
        auto biases = randoms(P, 15, 0.3f);  // non-zero biases so every path carries signal
        for (size_t i = 0; i < P; ++i)
            if (params[i] == 0.0f) params[i] = biases[i];
        auto x = randoms(B * 6, 16, 2.0f), up = randoms(B * 3, 17);
        Buffer pb = be->alloc(4 * P), xb = be->alloc(4 * x.size()), gb = be->alloc(4 * P);
        be->upload(xb.f(), x.data(), 4 * x.size());
        auto L = [&](const std::vector<float>& p) {
            be->upload(pb.f(), p.data(), 4 * P);
            const float* logits = run->forward(pb.f(), ModelInput{xb.f(), nullptr});
            std::vector<float> out(B * 3);
            be->download(out.data(), logits, 4 * out.size());
            return dot(out, up);
        };
        L(params);
        Buffer ub = be->alloc(4 * up.size());
        be->upload(ub.f(), up.data(), 4 * up.size());
        run->backward(pb.f(), ModelInput{xb.f(), nullptr}, ub.f(), gb.f());
        std::vector<float> g(P);
        be->download(g.data(), gb.f(), 4 * P);
        check_grad(params, L, g, act == Activation::kRelu ? 1e-3f : 1e-2f, 5e-3);
    }
}

TEST_CASE("sgd_momentum and adamw follow their written definitions bit for bit") {
    float p = 0.5f, g = 0.25f, buf = 0.125f;
    ops::sgd_momentum(kEx, &p, &g, &buf, 1, 0.05f, 0.9f, 0.01f);
    float gi = 0.25f + 0.01f * 0.5f;
    float wbuf = 0.9f * 0.125f + gi;
    CHECK(buf == wbuf);
    CHECK(p == 0.5f - 0.05f * wbuf);

    float q = 0.5f, m = 0.1f, v = 0.2f, b1t = 0.9f * 0.9f, b2t = 0.999f * 0.999f;
    ops::adamw(kEx, &q, &g, &m, &v, 1, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, b1t, b2t);
    float wm = 0.9f * 0.1f + (1.0f - 0.9f) * g;
    float wv = 0.999f * 0.2f + (1.0f - 0.999f) * (g * g);
    float wq = 0.5f - 1e-3f * (0.01f * 0.5f);
    wq = wq - 1e-3f * ((wm / (1.0f - b1t)) / (std::sqrt(wv / (1.0f - b2t)) + 1e-8f));
    CHECK(m == wm);
    CHECK(v == wv);
    CHECK(q == wq);
}

TEST_CASE("canonicalize_nan gives one NaN bit pattern and leaves numbers alone") {
    float v[4] = {bits_float(0xffc00001u), bits_float(0x7f800001u), -0.0f, 1.5f};
    ops::canonicalize_nan(v, 4);
    CHECK(float_bits(v[0]) == ops::kCanonicalNaN);
    CHECK(float_bits(v[1]) == ops::kCanonicalNaN);
    CHECK(float_bits(v[2]) == 0x80000000u);
    CHECK(v[3] == 1.5f);
}

TEST_CASE("unpack_u8_records divides by 255 and reads the label byte") {
    uint8_t rec[2 * 4] = {0, 255, 51, 2, 1, 2, 3, 9};
    float x[6];
    int32_t labels[2];
    ops::unpack_u8_records(rec, 2, 4, 3, x, labels);
    CHECK(x[0] == 0.0f);
    CHECK(x[1] == 1.0f);
    CHECK(x[2] == 51.0f / 255.0f);
    CHECK(labels[0] == 2);
    CHECK(labels[1] == 9);
}

TEST_CASE("make_backend: cpu always and cuda only when built and unknown names rejected") {
    auto cpu = make_backend("cpu", kEx);
    REQUIRE(cpu.ok());
    CHECK((*cpu)->name() == "cpu");
    auto cuda = make_backend("cuda", kEx);
#if defined(STEP_HAVE_CUDA)
    // A CUDA build on a machine without a usable device reports "cuda-unavailable".
    CHECK((cuda.ok() || cuda.status() == codes::kCudaUnavailable));
#else
    CHECK(cuda.status() == codes::kBackendUnavailable);
#endif
    CHECK(make_backend("tpu", kEx).status() == codes::kUnknownBackend);
}

TEST_CASE("gpt backward (embeddings, blocks, final LayerNorm, head) matches finite differences") {
    auto model = make_model(*parse_model_spec("gpt{256,8,1,16,2}", Activation::kGelu));
    REQUIRE(model.ok());
    auto be = make_cpu_backend(kEx);
    const int B = 2, T = 8, V = 256;
    auto run = (*model)->bind(*be, B);
    const uint64_t P = (*model)->param_count();
    std::vector<float> params(P);
    (*model)->init(42, params.data());
    // Off the init's zeros and ones, so every path carries signal.
    auto jitter = randoms(P, 21, 0.1f);
    for (size_t i = 0; i < P; ++i) params[i] = params[i] + jitter[i];
    // Two windows of text as tokens ("In the beginning God created").
    const std::string text = "In the beginning God created";
    std::vector<int32_t> tokens(B * T);
    for (int i = 0; i < B * T; ++i) tokens[i] = static_cast<uint8_t>(text[i]);
    auto up = randoms(static_cast<size_t>(B) * T * V, 22);
    Buffer pb = be->alloc(4 * P), tb = be->alloc(4 * tokens.size()), gb = be->alloc(4 * P);
    be->upload(tb.i32(), tokens.data(), 4 * tokens.size());
    const ModelInput in{nullptr, tb.i32()};
    auto L = [&](const std::vector<float>& p) {
        be->upload(pb.f(), p.data(), 4 * P);
        const float* logits = run->forward(pb.f(), in);
        std::vector<float> out(up.size());
        be->download(out.data(), logits, 4 * out.size());
        return dot(out, up);
    };
    L(params);
    Buffer ub = be->alloc(4 * up.size());
    be->upload(ub.f(), up.data(), 4 * up.size());
    run->backward(pb.f(), in, ub.f(), gb.f());
    std::vector<float> g(P);
    be->download(g.data(), gb.f(), 4 * P);
    // Every tensor, at up to 12 evenly spaced elements, plus the embedding rows of two used tokens.
    std::vector<size_t> where;
    for (const NamedTensor& t : (*model)->named_tensors()) {
        const uint64_t n = t.count(), stride = std::max<uint64_t>(1, n / 12);
        for (uint64_t i = 0; i < n; i += stride) where.push_back(t.offset + i);
    }
    for (int32_t tok : {tokens[0], tokens[5]})
        for (int c = 0; c < 16; ++c) where.push_back(static_cast<size_t>(tok) * 16 + c);
    std::vector<float> x_part, g_part;
    for (size_t k : where) {
        x_part.push_back(params[k]);
        g_part.push_back(g[k]);
    }
    auto L_part = [&](const std::vector<float>& xp) {
        std::vector<float> full(params);
        for (size_t k = 0; k < where.size(); ++k) full[where[k]] = xp[k];
        return L(full);
    };
    check_grad(x_part, L_part, g_part, 2e-3f, 5e-3);
}
