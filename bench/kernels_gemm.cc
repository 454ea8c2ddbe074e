// step-bench gemm: GFLOP/s of our exact GEMM (best vector level of this CPU) on the products of
// one MLP 784-256-256-10 training step at batch 64 (all three layouts), at 1 and 2 threads,
// beside OpenBLAS sgemm on the same shape and thread count (peer). OpenBLAS runs with openblas_set_num_threads(threads);
// its kernel choice follows the environment (OPENBLAS_CORETYPE), so the peers script runs this
// with and without it. Args: "quick" shortens every measurement (for smoke tests).
#ifdef STEP_HAVE_OPENBLAS
#include <cblas.h>
#endif

#include <algorithm>
#include <utility>
#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_json.h"
#include "kernels/gemm.h"

namespace step::bench {

namespace {
using namespace step::kernels;

enum class Layout { kNN, kNT, kTN };

struct Case {
    const char* what;  // where the product appears in the MLP
    Layout layout;
    int M, N, K;
};

// The products of kernels/model_mlp.cc, W stored [out][in]: forward z = x W^T (NT, K = in),
// dX = dz W (NN, K = out; layer 1 needs none), dW = dz^T x (TN, K = batch).
const Case kCases[] = {
    {"fwd1", Layout::kNT, 64, 256, 784}, {"fwd2", Layout::kNT, 64, 256, 256},
    {"fwd3", Layout::kNT, 64, 10, 256},  {"dx2", Layout::kNN, 64, 256, 256},
    {"dx3", Layout::kNN, 64, 256, 10},   {"dw1", Layout::kTN, 256, 784, 64},
    {"dw2", Layout::kTN, 256, 256, 64},  {"dw3", Layout::kTN, 10, 256, 64},
};

const char* layout_name(Layout l) { return l == Layout::kNN ? "nn" : l == Layout::kNT ? "nt" : "tn"; }

// Best-of-`rounds` seconds per call, each round timing enough calls to last ~`round_s`.
template <class F>
double seconds_per_call(F call, double round_s, int rounds) {
    using clock = std::chrono::steady_clock;
    call();  // warm caches, pool, pack buffers
    int reps = 1;
    for (;;) {
        auto t0 = clock::now();
        for (int r = 0; r < reps; ++r) call();
        double s = std::chrono::duration<double>(clock::now() - t0).count();
        if (s >= round_s / 4 || reps >= (1 << 24)) break;
        reps *= 2;
    }
    double best = 1e300;
    for (int round = 0; round < rounds; ++round) {
        auto t0 = clock::now();
        for (int r = 0; r < reps * 4; ++r) call();
        double s = std::chrono::duration<double>(clock::now() - t0).count() / (reps * 4);
        best = std::min(best, s);
    }
    return best;
}

void ours(const Exec& ex, const Case& c, const float* A, const float* B, float* C) {
    if (c.layout == Layout::kNN) gemm_nn(ex, A, B, C, c.M, c.N, c.K);
    if (c.layout == Layout::kNT) gemm_nt(ex, A, B, C, c.M, c.N, c.K);
    if (c.layout == Layout::kTN) gemm_tn(ex, A, B, C, c.M, c.N, c.K);
}

#ifdef STEP_HAVE_OPENBLAS
void openblas(const Case& c, const float* A, const float* B, float* C) {
    bool ta = c.layout == Layout::kTN, tb = c.layout == Layout::kNT;
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                c.M, c.N, c.K, 1.0f, A, ta ? c.M : c.K, B, tb ? c.K : c.N, 0.0f, C, c.N);
}

// The peer's time per call, and its note (which OpenBLAS core ran).
std::pair<double, std::string> time_peer(const Case& c, const float* A, const float* B, float* D,
                                         unsigned threads, double round_s, int rounds) {
    openblas_set_num_threads(static_cast<int>(threads));
    const double t = seconds_per_call([&] { openblas(c, A, B, D); }, round_s, rounds);
    return {t, std::string(" openblas_core=") + openblas_get_corename()};
}
#else
// Built without OpenBLAS (scripts/bench-peers.sh installs libopenblas-dev): no peer figure.
std::pair<double, std::string> time_peer(const Case&, const float*, const float*, float*, unsigned,
                                         double, int) {
    return {0, " openblas: not built (install libopenblas-dev and reconfigure)"};
}
#endif
}  // namespace

int kernels_gemm(const std::vector<std::string>& args) {
    bool quick = std::find(args.begin(), args.end(), "quick") != args.end();
    double round_s = quick ? 0.02 : 0.2;
    int rounds = quick ? 2 : 5;
    Simd simd = detect_simd();
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (unsigned threads : {1u, 2u}) {
        ThreadPool pool(threads);
        Exec ex{threads > 1 ? &pool : nullptr, simd};
        for (const Case& c : kCases) {
            std::vector<float> A(static_cast<size_t>(c.M) * c.K), B(static_cast<size_t>(c.K) * c.N);
            std::vector<float> C(static_cast<size_t>(c.M) * c.N), D(C.size());
            for (auto& x : A) x = u(rng);
            for (auto& x : B) x = u(rng);
            double flop = 2.0 * c.M * c.N * c.K;
            double t_ours = seconds_per_call([&] { ours(ex, c, A.data(), B.data(), C.data()); },
                                             round_s, rounds);
            const auto [t_peer, peer_note] =
                time_peer(c, A.data(), B.data(), D.data(), threads, round_s, rounds);
            Figure f;
            f.name = std::string("gemm_") + layout_name(c.layout) + "_" + c.what + "_" +
                     std::to_string(c.M) + "x" + std::to_string(c.N) + "x" + std::to_string(c.K) +
                     "_t" + std::to_string(threads);
            f.value = flop / t_ours * 1e-9;
            f.unit = "GFLOP/s";
            if (t_peer > 0) {
                f.peer = "openblas";
                f.peer_value = flop / t_peer * 1e-9;
            }
            f.note = std::string("simd=") + simd_name(simd) + " threads=" + std::to_string(threads) +
                     peer_note;
            emit(f);
        }
    }
    return 0;
}

}  // namespace step::bench
