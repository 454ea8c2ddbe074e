// The vectorised element-wise ops (kernels/ops_fast.h) against the reference ops (ops.h): same
// bits for every vector level up to this CPU's, 1-3 threads, lengths with every tail, and
// values including NaN, infinities, signed zeros and subnormals (NaNs compared canonicalised).
#include <catch2/catch.hpp>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/detmath.h"
#include "kernels/ops.h"
#include "kernels/ops_fast.h"

using namespace step::kernels;

namespace {

std::vector<float> mixed(std::mt19937& rng, size_t n) {
    std::uniform_real_distribution<float> u(-2.0f, 2.0f);
    std::uniform_int_distribution<int> pick(0, 99);
    std::vector<float> v(n);
    for (auto& x : v) {
        int p = pick(rng);
        x = p == 0 ? NAN : p == 1 ? INFINITY : p == 2 ? -INFINITY : p < 6 ? -0.0f : p < 9 ? 0.0f
          : p < 14 ? u(rng) * FLT_MIN : p < 18 ? u(rng) * 1e30f : u(rng);
    }
    return v;
}

std::vector<uint32_t> canon(const std::vector<float>& v) {
    std::vector<uint32_t> out(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
        if (std::isnan(v[i])) out[i] = ops::kCanonicalNaN;
        else std::memcpy(&out[i], &v[i], 4);
    }
    return out;
}

std::vector<uint32_t> raw(const std::vector<float>& v) {
    std::vector<uint32_t> out(v.size());
    for (size_t i = 0; i < v.size(); ++i) std::memcpy(&out[i], &v[i], 4);
    return out;
}

struct Setup {
    ThreadPool two{2}, three{3};
    std::vector<Exec> execs() const {
        std::vector<Exec> out;
        for (int s = 0; s <= static_cast<int>(detect_simd()); ++s)
            for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), const_cast<ThreadPool*>(&two),
                                  const_cast<ThreadPool*>(&three)})
                out.push_back(Exec{p, static_cast<Simd>(s)});
        return out;
    }
};

const std::vector<size_t> kLengths = {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 1000, 40000, 269322};

}  // namespace

TEST_CASE("fast relu_fwd and relu_bwd equal the reference bitwise", "[kernels][fastops]") {
    std::mt19937 rng(21);
    Setup s;
    for (size_t n : kLengths) {
        auto x = mixed(rng, n), dy = mixed(rng, n);
        std::vector<float> want_y(n), want_dx(n);
        ops::relu_fwd(Exec{}, x.data(), want_y.data(), n);
        ops::relu_bwd(Exec{}, x.data(), dy.data(), want_dx.data(), n);
        for (const Exec& ex : s.execs()) {
            INFO("n=" << n << " simd=" << simd_name(ex.simd) << " threads=" << ex.threads());
            std::vector<float> y(n, 9.0f), dx(n, 9.0f);
            fast::relu_fwd(ex, x.data(), y.data(), n);
            fast::relu_bwd(ex, x.data(), dy.data(), dx.data(), n);
            // relu_fwd's results hold no NaN, and relu_bwd only copies dy: raw bits must match.
            REQUIRE(raw(y) == raw(want_y));
            REQUIRE(raw(dx) == raw(want_dx));
        }
    }
}

TEST_CASE("fast bias_add and bias_grad equal the reference bitwise", "[kernels][fastops]") {
    std::mt19937 rng(22);
    Setup s;
    for (auto [rows, cols] : {std::pair{64, 256}, std::pair{64, 10}, std::pair{1, 1},
                              std::pair{37, 29}, std::pair{200, 784}, std::pair{3, 0}}) {
        size_t n = static_cast<size_t>(rows) * cols;
        auto x = mixed(rng, n), b = mixed(rng, cols), dy = mixed(rng, n);
        std::vector<float> want_y(n), want_db(cols);
        ops::bias_add(Exec{}, x.data(), b.data(), want_y.data(), rows, cols);
        ops::bias_grad(Exec{}, dy.data(), want_db.data(), rows, cols);
        for (const Exec& ex : s.execs()) {
            INFO(rows << "x" << cols << " simd=" << simd_name(ex.simd) << " threads=" << ex.threads());
            std::vector<float> y(n), db(cols, 9.0f);
            fast::bias_add(ex, x.data(), b.data(), y.data(), rows, cols);
            fast::bias_grad(ex, dy.data(), db.data(), rows, cols);
            REQUIRE(canon(y) == canon(want_y));
            REQUIRE(canon(db) == canon(want_db));
        }
    }
}

TEST_CASE("fast sgd_momentum and adamw equal the reference bitwise", "[kernels][fastops]") {
    std::mt19937 rng(23);
    Setup s;
    for (size_t n : kLengths) {
        auto p0 = mixed(rng, n), g = mixed(rng, n), b0 = mixed(rng, n), m0 = mixed(rng, n);
        auto v0 = mixed(rng, n);
        for (auto& e : v0) e = std::fabs(e);  // second moments are non-negative
        for (const auto& h : {std::vector<float>{0.05f, 0.9f, 1e-4f}, std::vector<float>{0.1f, 0.0f, 0.0f}}) {
            auto wp = p0, wb = b0;
            ops::sgd_momentum(Exec{}, wp.data(), g.data(), wb.data(), n, h[0], h[1], h[2]);
            for (const Exec& ex : s.execs()) {
                INFO("sgd n=" << n << " simd=" << simd_name(ex.simd) << " threads=" << ex.threads());
                auto p = p0, b = b0;
                fast::sgd_momentum(ex, p.data(), g.data(), b.data(), n, h[0], h[1], h[2]);
                REQUIRE(canon(p) == canon(wp));
                REQUIRE(canon(b) == canon(wb));
            }
        }
        auto wp = p0, wm = m0, wv = v0;
        const float b1t = 0.9f * 0.9f * 0.9f, b2t = 0.999f * 0.999f * 0.999f;
        ops::adamw(Exec{}, wp.data(), g.data(), wm.data(), wv.data(), n, 1e-3f, 0.9f, 0.999f, 1e-8f,
                   0.01f, b1t, b2t);
        for (const Exec& ex : s.execs()) {
            INFO("adamw n=" << n << " simd=" << simd_name(ex.simd) << " threads=" << ex.threads());
            auto p = p0, m = m0, v = v0;
            fast::adamw(ex, p.data(), g.data(), m.data(), v.data(), n, 1e-3f, 0.9f, 0.999f, 1e-8f,
                        0.01f, b1t, b2t);
            REQUIRE(canon(p) == canon(wp));
            REQUIRE(canon(m) == canon(wm));
            REQUIRE(canon(v) == canon(wv));
        }
    }
}

namespace {
// GELU inputs: the mixed values, a wide spread that reaches every det_erf branch (|x / sqrt 2|
// below 0.5, to 1.5, to 4, beyond), and the neighbours of each branch boundary.
std::vector<float> gelu_inputs(std::mt19937& rng, size_t n) {
    auto v = mixed(rng, n);
    std::uniform_real_distribution<float> wide(-7.0f, 7.0f);
    std::uniform_int_distribution<int> pick(0, 3);
    std::uniform_int_distribution<int> near(-40, 40);
    const float edges[] = {0.5f, 1.5f, 4.0f};
    for (auto& x : v) {
        int p = pick(rng);
        if (p == 1) x = wide(rng);
        if (p == 2) {
            float e = edges[static_cast<size_t>(near(rng) + 40) % 3] / ops::kSqrtHalf;
            x = bits_float(float_bits(near(rng) < 0 ? -e : e) + static_cast<uint32_t>(near(rng)));
        }
    }
    return v;
}
}  // namespace

TEST_CASE("fast gelu_fwd and gelu_bwd equal the reference bitwise", "[kernels][fastops]") {
    std::mt19937 rng(24);
    Setup s;
    for (size_t n : kLengths) {
        auto x = gelu_inputs(rng, n), dy = mixed(rng, n);
        std::vector<float> want_y(n), want_dx(n);
        ops::gelu_fwd(Exec{}, x.data(), want_y.data(), n);
        ops::gelu_bwd(Exec{}, x.data(), dy.data(), want_dx.data(), n);
        for (const Exec& ex : s.execs()) {
            INFO("n=" << n << " simd=" << simd_name(ex.simd) << " threads=" << ex.threads());
            std::vector<float> y(n, 9.0f), dx(n, 9.0f);
            fast::gelu_fwd(ex, x.data(), y.data(), n);
            fast::gelu_bwd(ex, x.data(), dy.data(), dx.data(), n);
            REQUIRE(canon(y) == canon(want_y));
            REQUIRE(canon(dx) == canon(want_dx));
        }
    }
}

TEST_CASE("fast GELU equals the reference over a sweep of all binary32 values",
          "[kernels][fastops]") {
    std::vector<float> x;
    for (uint64_t u = 0; u < (uint64_t{1} << 32); u += 4099) x.push_back(bits_float(uint32_t(u)));
    const size_t n = x.size();
    std::vector<float> dy(n, 1.0f), want_y(n), want_dx(n), y(n), dx(n);
    ops::gelu_fwd(Exec{}, x.data(), want_y.data(), n);
    ops::gelu_bwd(Exec{}, x.data(), dy.data(), want_dx.data(), n);
    fast::gelu_fwd(Exec{nullptr, detect_simd()}, x.data(), y.data(), n);
    fast::gelu_bwd(Exec{nullptr, detect_simd()}, x.data(), dy.data(), dx.data(), n);
    size_t bad = 0;  // the first value that differs (asserting per value is slow)
    while (bad < n && float_bits(y[bad]) == float_bits(want_y[bad]) &&
           float_bits(dx[bad]) == float_bits(want_dx[bad]))
        ++bad;
    INFO("x " << (bad < n ? x[bad] : 0.0f));
    CHECK(bad == n);
}

TEST_CASE("fast xent_fwd_bwd equals the reference bitwise", "[kernels][fastops]") {
    std::mt19937 rng(25);
    Setup s;
    std::uniform_real_distribution<float> u(-30.0f, 30.0f);
    for (int C : {1, 7, 8, 10, 17, 256}) {
        for (int B : {1, 9, 64}) {
            std::vector<float> logits(static_cast<size_t>(B) * C);
            for (auto& v : logits) v = u(rng);
            // A few rows with special values: NaN, infinities, huge spreads.
            auto special = mixed(rng, logits.size());
            for (size_t i = 0; i < logits.size(); i += 13) logits[i] = special[i];
            std::vector<int32_t> labels(static_cast<size_t>(B));
            for (int r = 0; r < B; ++r) labels[r] = r % 11 == 3 ? -1 : r % 11 == 5 ? C : r % C;
            std::vector<float> want_loss(B), want_d(logits.size());
            ops::xent_fwd_bwd(Exec{}, logits.data(), labels.data(), B, C, want_loss.data(),
                              want_d.data());
            for (const Exec& ex : s.execs()) {
                INFO("B=" << B << " C=" << C << " simd=" << simd_name(ex.simd)
                          << " threads=" << ex.threads());
                std::vector<float> loss(B, 9.0f), d(logits.size(), 9.0f);
                fast::xent_fwd_bwd(ex, logits.data(), labels.data(), B, C, loss.data(), d.data());
                REQUIRE(canon(loss) == canon(want_loss));
                REQUIRE(canon(d) == canon(want_d));
            }
        }
    }
}

TEST_CASE("fast unpack_u8_records equals the reference bitwise for every byte value",
          "[kernels][fastops]") {
    // Three records: every pixel value 0..255 appears (784 features), and rows with a tail.
    for (const int features : {784, 13}) {
        const int rb = features + 1, B = 3;
        std::vector<uint8_t> rec(static_cast<size_t>(B) * rb);
        for (size_t i = 0; i < rec.size(); ++i) rec[i] = static_cast<uint8_t>((i * 7) % 256);
        for (int i = 0; i < B; ++i)
            rec[static_cast<size_t>(i) * rb + features] = static_cast<uint8_t>(i + 4);
        std::vector<float> want(static_cast<size_t>(B) * features);
        std::vector<int32_t> want_labels(B);
        ops::unpack_u8_records(rec.data(), B, rb, features, want.data(), want_labels.data());
        Setup s;
        for (const Exec& ex : s.execs()) {
            INFO("simd=" << simd_name(ex.simd) << " threads=" << ex.threads());
            std::vector<float> x(want.size());
            std::vector<int32_t> labels(B);
            fast::unpack_u8_records(ex, rec.data(), B, rb, features, x.data(), labels.data());
            REQUIRE(raw(x) == raw(want));
            REQUIRE(labels == want_labels);
        }
    }
}
