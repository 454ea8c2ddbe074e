// Every GEMM path (each vector level up to this CPU's, 1-3 threads, all three layouts) must give
// the scalar definition's bits: compared with memcmp after NaNs are canonicalised (PROTOCOL.md
// section 1 canonicalises NaN before hashing; a payload never changes a non-NaN result).
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "kernels/gemm.h"

using namespace step::kernels;

namespace {
enum class Values { kPlain, kSubnormal, kSpecial };

float draw(std::mt19937& rng, Values kind) {
    std::uniform_real_distribution<float> u(-2.0f, 2.0f);
    std::uniform_int_distribution<int> pick(0, 99);
    int p = pick(rng);
    switch (kind) {
        case Values::kPlain: return p < 5 ? (p < 2 ? -0.0f : 0.0f) : u(rng);
        case Values::kSubnormal:
            // Tiny operands: products and sums land in (and cross) the subnormal range.
            if (p < 10) return u(rng) * FLT_MIN;          // subnormal inputs
            if (p < 15) return p < 12 ? -0.0f : 0.0f;
            return u(rng) * 1e-20f;
        case Values::kSpecial:
            if (p == 0) return INFINITY;
            if (p == 1) return -INFINITY;
            if (p == 2) return NAN;
            if (p < 6) return -0.0f;
            if (p < 9) return u(rng) * 3e38f;  // overflow to inf in sums
            return u(rng);
    }
    return 0.0f;
}

std::vector<float> fill(std::mt19937& rng, size_t n, Values kind) {
    std::vector<float> v(n);
    for (auto& x : v) x = draw(rng, kind);
    return v;
}

// Bit patterns with every NaN replaced by one quiet NaN.
std::vector<uint32_t> canonical_bits(const float* p, size_t n) {
    std::vector<uint32_t> out(n);
    for (size_t i = 0; i < n; ++i) {
        if (std::isnan(p[i])) {
            out[i] = 0x7fc00000u;
        } else {
            std::memcpy(&out[i], &p[i], 4);
        }
    }
    return out;
}

enum class Layout { kNN, kNT, kTN };
const char* name(Layout l) { return l == Layout::kNN ? "nn" : l == Layout::kNT ? "nt" : "tn"; }

void reference(Layout l, const float* A, const float* B, float* C, int M, int N, int K) {
    if (l == Layout::kNN) gemm_nn_reference(A, B, C, M, N, K);
    if (l == Layout::kNT) gemm_nt_reference(A, B, C, M, N, K);
    if (l == Layout::kTN) gemm_tn_reference(A, B, C, M, N, K);
}
void fast(Layout l, const Exec& ex, const float* A, const float* B, float* C, int M, int N, int K) {
    if (l == Layout::kNN) gemm_nn(ex, A, B, C, M, N, K);
    if (l == Layout::kNT) gemm_nt(ex, A, B, C, M, N, K);
    if (l == Layout::kTN) gemm_tn(ex, A, B, C, M, N, K);
}

struct Shape {
    int M, N, K;
};

std::vector<Simd> levels_here() {
    std::vector<Simd> out;
    for (int s = 0; s <= static_cast<int>(detect_simd()); ++s) out.push_back(static_cast<Simd>(s));
    return out;
}

// Compares every level and thread count against the reference for one shape; C is surrounded
// by guard values so a write outside it (a wrong tail mask) fails too.
void check_shape(std::mt19937& rng, Shape s, Values kind, std::vector<ThreadPool*>& pools,
                 size_t* subnormal_outputs = nullptr) {
    const size_t a_n = static_cast<size_t>(s.M) * s.K, b_n = static_cast<size_t>(s.K) * s.N;
    const size_t c_n = static_cast<size_t>(s.M) * s.N;
    auto A = fill(rng, a_n, kind);
    auto B = fill(rng, b_n, kind);
    constexpr size_t kGuard = 80;
    constexpr float kGuardValue = 12345.0f;
    for (Layout l : {Layout::kNN, Layout::kNT, Layout::kTN}) {
        std::vector<float> want(c_n + 1);
        reference(l, A.data(), B.data(), want.data(), s.M, s.N, s.K);
        auto want_bits = canonical_bits(want.data(), c_n);
        if (subnormal_outputs)
            for (size_t i = 0; i < c_n; ++i)
                *subnormal_outputs += std::fpclassify(want[i]) == FP_SUBNORMAL;
        for (Simd level : levels_here())
            for (ThreadPool* pool : pools) {
                Exec ex{pool, level};
                std::vector<float> got(c_n + 2 * kGuard, kGuardValue);
                fast(l, ex, A.data(), B.data(), got.data() + kGuard, s.M, s.N, s.K);
                INFO(name(l) << " M=" << s.M << " N=" << s.N << " K=" << s.K << " simd="
                             << simd_name(level) << " threads=" << ex.threads());
                auto got_bits = canonical_bits(got.data() + kGuard, c_n);
                REQUIRE(std::memcmp(got_bits.data(), want_bits.data(), c_n * 4) == 0);
                for (size_t g = 0; g < kGuard; ++g) {
                    REQUIRE(got[g] == kGuardValue);
                    REQUIRE(got[kGuard + c_n + g] == kGuardValue);
                }
            }
    }
}

struct Pools {
    ThreadPool two{2}, three{3};
    std::vector<ThreadPool*> all{nullptr, &two, &three};
};
}  // namespace

TEST_CASE("gemm fast paths equal the reference bitwise on the MLP shapes", "[kernels][gemm]") {
    std::mt19937 rng(1);
    Pools p;
    // MLP 784-256-256-10 at batch 64 (W stored [out][in]): forward NT, dX NN, dW TN (K = 64);
    // every shape runs in all three layouts, so NT also covers M < N (the transposed problem)
    // and M > N (packing B).
    for (Shape s : {Shape{64, 256, 784}, Shape{64, 256, 256}, Shape{64, 10, 256},
                    Shape{64, 256, 10}, Shape{256, 784, 64}, Shape{10, 256, 64},
                    Shape{784, 256, 64}})
        check_shape(rng, s, Values::kPlain, p.all);
}

TEST_CASE("gemm fast paths equal the reference on edge shapes", "[kernels][gemm]") {
    std::mt19937 rng(2);
    Pools p;
    for (Shape s : {Shape{1, 1, 1}, Shape{1, 1, 0}, Shape{5, 7, 0}, Shape{0, 5, 3},
                    Shape{4, 0, 3}, Shape{7, 13, 17}, Shape{67, 131, 97}, Shape{6, 64, 1},
                    Shape{13, 65, 2}, Shape{12, 129, 33}, Shape{1, 1000, 5}, Shape{1000, 1, 5},
                    Shape{61, 17, 257}, Shape{97, 200, 41}, Shape{3, 200, 9},
                    Shape{200, 3, 9}, Shape{7, 7, 300}})
        check_shape(rng, s, Values::kPlain, p.all);
}

TEST_CASE("gemm fast paths equal the reference on random shapes", "[kernels][gemm]") {
    std::mt19937 rng(3);
    std::uniform_int_distribution<int> dim(0, 140);
    Pools p;
    for (int t = 0; t < 60; ++t) check_shape(rng, Shape{dim(rng), dim(rng), dim(rng)}, Values::kPlain, p.all);
}

TEST_CASE("gemm fast paths keep subnormals and signed zeros", "[kernels][gemm]") {
    std::mt19937 rng(4);
    Pools p;
    size_t subnormal_outputs = 0;
    for (Shape s : {Shape{64, 256, 40}, Shape{19, 37, 23}, Shape{6, 70, 3}})
        check_shape(rng, s, Values::kSubnormal, p.all, &subnormal_outputs);
    // The case is only meaningful if the definition produces subnormal results here.
    REQUIRE(subnormal_outputs > 100);
}

TEST_CASE("gemm fast paths agree with the reference on inf and NaN", "[kernels][gemm]") {
    std::mt19937 rng(5);
    Pools p;
    for (Shape s : {Shape{64, 256, 30}, Shape{11, 23, 7}, Shape{40, 10, 64}})
        check_shape(rng, s, Values::kSpecial, p.all);
}

TEST_CASE("gemm clamps a requested level above the CPU's to one it has", "[kernels][gemm]") {
    // Simd::kAvx512 on a CPU without it must still run (and be exact), never fault.
    std::mt19937 rng(6);
    auto A = fill(rng, 9 * 11, Values::kPlain), B = fill(rng, 11 * 13, Values::kPlain);
    std::vector<float> want(9 * 13), got(9 * 13);
    gemm_nn_reference(A.data(), B.data(), want.data(), 9, 13, 11);
    gemm_nn(Exec{nullptr, Simd::kAvx512}, A.data(), B.data(), got.data(), 9, 13, 11);
    REQUIRE(std::memcmp(got.data(), want.data(), want.size() * 4) == 0);
}
