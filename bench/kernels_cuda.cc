// step-bench cuda-step: one training step of the MLP 784-256-256-10 (batch 64, SGD momentum) on
// the exact CUDA backend, beside the same step with cuBLAS matrix multiplies (peer, same card;
// not consensus). Also each MLP GEMM shape: exact CUDA GEMM vs cuBLAS sgemm, GFLOP/s. The CPU
// step time comes first, for scale. Without a CUDA device (or in a build without CUDA) the GPU
// part is one JSON line saying so, and the exit status is 0.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_json.h"
#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/spec.h"
#include "kernels/state.h"
#include "kernels/trainer.h"
#include "kernels/parallel.h"
#include "kernels/simd.h"
#if defined(STEP_HAVE_CUBLAS)
#include "kernels/cuda/cublas_fast.h"
#include "kernels/cuda/cuda_backend.h"
#endif

namespace step::bench {

namespace {
using namespace step::kernels;

// The example task's model and optimiser (examples/mnist-mlp.toml); the data path is unused.
constexpr const char* kSpecToml = R"(kernel_version = 1
batch = 64
steps = 1000
seed = 1
leaf_interval = 10
checkpoint_interval = 20
[model]
arch = "mlp{784,256,256,10}"
activation = "relu"
[optimizer]
kind = "sgd"
lr = 0.05
momentum = 0.9
[data]
format = "mnist-u8"
train = "unused.rec"
)";

double seconds_per(int reps, const std::function<void()>& fn) {
    fn();  // warm-up: allocations, module loading, cuBLAS heuristics
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) fn();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
}

// Mean seconds per training step over `steps` steps on random MNIST-shaped records.
Result<double> step_seconds(Backend& be, const TaskSpec& spec, int steps) {
    auto trainer = Trainer::create(be, spec);
    if (!trainer.ok()) return trainer.status();
    auto start = init_state(spec);
    if (!start.ok()) return start.status();
    STEP_TRY((*trainer)->load(*start));
    std::mt19937 rng(5);
    Bytes batch(static_cast<size_t>(spec.batch) * kMnistRecordBytes);
    for (size_t i = 0; i < batch.size(); ++i)
        batch[i] = static_cast<uint8_t>(i % kMnistRecordBytes == kMnistPixels ? rng() % 10 : rng());
    ByteSpan span(batch.data(), batch.size());
    Status failed;
    double s = seconds_per(steps, [&] {
        auto loss = (*trainer)->train_step(span);  // returns the loss: one sync per step
        if (!loss.ok()) failed = loss.status();
    });
    if (!failed.ok()) return failed;
    return s;
}

#if defined(STEP_HAVE_CUBLAS)
double gemm_seconds(Backend& be, int layout, int M, int N, int K) {
    Buffer a = be.alloc(static_cast<size_t>(M) * K * 4), b = be.alloc(static_cast<size_t>(K) * N * 4);
    Buffer c = be.alloc(static_cast<size_t>(M) * N * 4);
    float sink = 0;
    const int batch = 50;
    return seconds_per(20, [&] {
               for (int r = 0; r < batch; ++r) {
                   if (layout == 0) be.matmul_nn(a.f(), b.f(), c.f(), M, N, K);
                   if (layout == 1) be.matmul_nt(a.f(), b.f(), c.f(), M, N, K);
                   if (layout == 2) be.matmul_tn(a.f(), b.f(), c.f(), M, N, K);
               }
               be.download(&sink, c.f(), 4);  // waits for the queued products
           }) /
           batch;
}
#endif
}  // namespace

int kernels_cuda_step(const std::vector<std::string>& args) {
    (void)args;
    auto spec = parse_task_spec(kSpecToml);
    if (!spec.ok()) {
        std::fprintf(stderr, "cuda-step: %s\n", spec.status().to_string().c_str());
        return 1;
    }
    // The CPU step on this machine, for scale (best vector level, 1 and 2 threads).
    for (unsigned threads : {1u, 2u}) {
        ThreadPool pool(threads);
        auto cpu = make_cpu_backend(Exec{&pool, detect_simd()});
        auto t = step_seconds(*cpu, *spec, 300);
        if (!t.ok()) {
            std::fprintf(stderr, "cuda-step: %s\n", t.status().to_string().c_str());
            return 1;
        }
        emit(Figure{"cpu_step_mlp_784_256_256_10_b64_t" + std::to_string(threads), *t * 1e3, "ms",
                    "", 0, std::string("simd=") + simd_name(detect_simd())});
    }
#if !defined(STEP_HAVE_CUBLAS)
    emit(Figure{"cuda_step", 0, "ms", "", 0, "skipped: built without CUDA"});
    return 0;
#else
    if (!cuda_available()) {
        emit(Figure{"cuda_step", 0, "ms", "", 0, "skipped: " + cuda_device_description()});
        return 0;
    }
    auto exact = make_cuda_backend(Exec{});
    auto fast = make_cublas_fast_backend(Exec{});
    if (!exact.ok() || !fast.ok()) return 1;
    std::string device = cuda_device_description();

    auto ours = step_seconds(**exact, *spec, 500);
    auto peer = step_seconds(**fast, *spec, 500);
    if (!ours.ok() || !peer.ok()) {
        std::fprintf(stderr, "cuda-step: %s %s\n", ours.status().to_string().c_str(),
                     peer.status().to_string().c_str());
        return 1;
    }
    emit(Figure{"cuda_step_mlp_784_256_256_10_b64", *ours * 1e3, "ms", "cublas", *peer * 1e3,
                device + "; exact CUDA step vs the same step with cuBLAS GEMMs"});

    // The MLP's products (see bench/kernels_gemm.cc): forward NT, dX NN, dW TN.
    struct Shape { const char* what; int layout, M, N, K; };
    const Shape shapes[] = {{"fwd1", 1, 64, 256, 784}, {"fwd2", 1, 64, 256, 256},
                            {"fwd3", 1, 64, 10, 256},  {"dx2", 0, 64, 256, 256},
                            {"dx3", 0, 64, 256, 10},   {"dw1", 2, 256, 784, 64},
                            {"dw2", 2, 256, 256, 64},  {"dw3", 2, 10, 256, 64}};
    const char* layouts[] = {"nn", "nt", "tn"};
    for (const Shape& s : shapes) {
        double flop = 2.0 * s.M * s.N * s.K;
        double t_ours = gemm_seconds(**exact, s.layout, s.M, s.N, s.K);
        double t_peer = gemm_seconds(**fast, s.layout, s.M, s.N, s.K);
        emit(Figure{std::string("cuda_gemm_") + layouts[s.layout] + "_" + s.what + "_" +
                        std::to_string(s.M) + "x" + std::to_string(s.N) + "x" + std::to_string(s.K),
                    flop / t_ours * 1e-9, "GFLOP/s", "cublas", flop / t_peer * 1e-9, device});
    }
    return 0;
#endif
}

}  // namespace step::bench
