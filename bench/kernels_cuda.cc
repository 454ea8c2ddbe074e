// step-bench cuda-step: one training step of each model on the exact CUDA backend, beside the same
// step with cuBLAS matrix multiplies (the "cuBLAS path": a peer on the same card, not consensus;
// every other op stays the exact CUDA one), and the CPU step for scale:
//   mlp  784-256-256-10, batch 64, SGD momentum (examples/mnist-mlp.toml)
//   gpt  gpt{256,64,2,64,4}, batch 16, AdamW, clip 1.0 (step-bench train-gpt's spec)
// For each: the step times, the ratio exact/cuBLAS (issue 14's goal for the GPT: at most 1.3) and
// CPU/CUDA, then each of the model's GEMM shapes, exact CUDA GEMM vs cuBLAS sgemm in GFLOP/s.
// Without a CUDA device (or in a build without CUDA) the GPU part is one JSON line saying so, and
// the exit status is 0.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_json.h"
#include "bench/bench_specs.h"
#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/parallel.h"
#include "kernels/simd.h"
#include "kernels/spec.h"
#include "kernels/state.h"
#include "kernels/trainer.h"
#if defined(STEP_HAVE_CUBLAS)
#include "kernels/cuda/cublas_fast.h"
#include "kernels/cuda/cuda_backend.h"
#endif

namespace step::bench {

namespace {
using namespace step::kernels;

// The example task's model and optimiser (examples/mnist-mlp.toml); the data path is unused.
constexpr const char* kMlpSpecToml = R"(kernel_version = 1
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

// One GEMM of a model's step: layout 0 = NN (dX), 1 = NT (forward), 2 = TN (dW).
struct Shape {
    const char* what;
    int layout, M, N, K;
};

// A model timed by cuda-step: `tag` names its figures; the step counts keep each timing near a
// second on the machines we know (CPU: 2 cores; GPU: H100).
struct ModelCase {
    std::string tag;
    TaskSpec spec;
    int cpu_steps, gpu_steps;
    std::vector<Shape> gemms;
};

// The MLP's products (see bench/kernels_gemm.cc): forward NT, dX NN, dW TN.
std::vector<Shape> mlp_gemms() {
    return {{"fwd1", 1, 64, 256, 784}, {"fwd2", 1, 64, 256, 256}, {"fwd3", 1, 64, 10, 256},
            {"dx2", 0, 64, 256, 256},  {"dx3", 0, 64, 256, 10},   {"dw1", 2, 256, 784, 64},
            {"dw2", 2, 256, 256, 64},  {"dw3", 2, 10, 256, 64}};
}

// The GPT's products over its R = B*T = 1024 rows (kernels/model_gpt.cc): each linear layer
// (in -> out) is forward NT R x out x in, dW TN out x in x R, dX NN R x in x out; the head
// (64 -> 256) has fc's shapes.
std::vector<Shape> gpt_gemms() {
    return {{"fwd_qkv", 1, 1024, 192, 64},     {"fwd_proj", 1, 1024, 64, 64},
            {"fwd_fc_head", 1, 1024, 256, 64}, {"fwd_fc2", 1, 1024, 64, 256},
            {"dx_qkv", 0, 1024, 64, 192},      {"dx_proj", 0, 1024, 64, 64},
            {"dx_fc_head", 0, 1024, 64, 256},  {"dx_fc2", 0, 1024, 256, 64},
            {"dw_qkv", 2, 192, 64, 1024},      {"dw_proj", 2, 64, 64, 1024},
            {"dw_fc_head", 2, 256, 64, 1024},  {"dw_fc2", 2, 64, 256, 1024}};
}

Result<std::vector<ModelCase>> model_cases() {
    auto mlp = parse_task_spec(kMlpSpecToml);
    if (!mlp.ok()) return mlp.status();
    return std::vector<ModelCase>{
        {"mlp_784_256_256_10_b64", *mlp, 300, 500, mlp_gemms()},
        {"gpt_256_64_2_64_4_b16", gpt_bench_spec(), 30, 300, gpt_gemms()}};
}

double seconds_per(int reps, const std::function<void()>& fn) {
    fn();  // warm-up: allocations, module loading, cuBLAS heuristics
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) fn();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
}

// One batch of random records of the spec's format (timing does not depend on the bytes'
// meaning); MNIST labels are made valid.
Result<Bytes> random_batch(const TaskSpec& spec) {
    auto fmt = record_format(spec.data_format);
    if (!fmt.ok()) return fmt.status();
    const size_t rb = static_cast<size_t>(fmt->record_bytes);
    const bool mnist = spec.data_format == "mnist-u8";
    std::mt19937 rng(5);
    Bytes batch(static_cast<size_t>(spec.batch) * rb);
    for (size_t i = 0; i < batch.size(); ++i)
        batch[i] = static_cast<uint8_t>(mnist && i % rb == kMnistPixels ? rng() % 10 : rng());
    return batch;
}

// Mean seconds per training step over `steps` steps on one random batch.
Result<double> step_seconds(Backend& be, const TaskSpec& spec, int steps) {
    auto trainer = Trainer::create(be, spec);
    if (!trainer.ok()) return trainer.status();
    auto start = init_state(spec);
    if (!start.ok()) return start.status();
    STEP_TRY((*trainer)->load(*start));
    auto batch = random_batch(spec);
    if (!batch.ok()) return batch.status();
    ByteSpan span(batch->data(), batch->size());
    Status failed;
    double s = seconds_per(steps, [&] {
        auto loss = (*trainer)->train_step(span);  // returns the loss: one sync per step
        if (!loss.ok()) failed = loss.status();
    });
    if (!failed.ok()) return failed;
    return s;
}

// The CPU step at 1 and 2 threads (best vector level), emitted; the 1-thread time returned.
Result<double> cpu_step(const ModelCase& m) {
    double t1 = 0;
    for (unsigned threads : {1u, 2u}) {
        ThreadPool pool(threads);
        auto cpu = make_cpu_backend(Exec{&pool, detect_simd()});
        auto t = step_seconds(*cpu, m.spec, m.cpu_steps);
        if (!t.ok()) return t.status();
        if (threads == 1) t1 = *t;
        emit(Figure{"cpu_step_" + m.tag + "_t" + std::to_string(threads), *t * 1e3, "ms", "", 0,
                    std::string("simd=") + simd_name(detect_simd())});
    }
    return t1;
}

#if defined(STEP_HAVE_CUBLAS)
double gemm_seconds(Backend& be, int layout, int M, int N, int K) {
    Buffer a = be.alloc(static_cast<size_t>(M) * K * 4),
           b = be.alloc(static_cast<size_t>(K) * N * 4);
    Buffer c = be.alloc(static_cast<size_t>(M) * N * 4);
    float sink = 0;
    const int batch = 50;
    return seconds_per(20,
                       [&] {
                           for (int r = 0; r < batch; ++r) {
                               if (layout == 0) be.matmul_nn(a.f(), b.f(), c.f(), M, N, K);
                               if (layout == 1) be.matmul_nt(a.f(), b.f(), c.f(), M, N, K);
                               if (layout == 2) be.matmul_tn(a.f(), b.f(), c.f(), M, N, K);
                           }
                           be.download(&sink, c.f(), 4);  // waits for the queued products
                       }) /
           batch;
}

// The exact CUDA step against the cuBLAS path and the CPU, then the model's GEMM shapes.
int gpu_figures(const ModelCase& m, double cpu_t1, Backend& exact, Backend& fast,
                const std::string& device) {
    auto ours = step_seconds(exact, m.spec, m.gpu_steps);
    auto peer = step_seconds(fast, m.spec, m.gpu_steps);
    if (!ours.ok() || !peer.ok()) {
        std::fprintf(stderr, "cuda-step: %s %s\n", ours.status().to_string().c_str(),
                     peer.status().to_string().c_str());
        return 1;
    }
    emit(Figure{"cuda_step_" + m.tag, *ours * 1e3, "ms", "cublas", *peer * 1e3,
                device + "; exact CUDA step vs the same step with cuBLAS GEMMs"});
    emit(Figure{"cuda_step_" + m.tag + "_exact_over_cublas", *ours / *peer, "x", "", 0,
                device + "; step time ratio, issue 14 goal for the GPT: <= 1.3"});
    emit(Figure{"cuda_step_" + m.tag + "_cpu_t1_over_cuda", cpu_t1 / *ours, "x", "", 0,
                device + "; the 1-thread CPU step time over the exact CUDA step time"});
    const char* layouts[] = {"nn", "nt", "tn"};
    for (const Shape& s : m.gemms) {
        double flop = 2.0 * s.M * s.N * s.K;
        double t_ours = gemm_seconds(exact, s.layout, s.M, s.N, s.K);
        double t_peer = gemm_seconds(fast, s.layout, s.M, s.N, s.K);
        emit(Figure{"cuda_gemm_" + m.tag.substr(0, 3) + "_" + layouts[s.layout] + "_" + s.what +
                        "_" + std::to_string(s.M) + "x" + std::to_string(s.N) + "x" +
                        std::to_string(s.K),
                    flop / t_ours * 1e-9, "GFLOP/s", "cublas", flop / t_peer * 1e-9, device});
    }
    return 0;
}
#endif
}  // namespace

int kernels_cuda_step(const std::vector<std::string>& args) {
    (void)args;
    auto cases = model_cases();
    if (!cases.ok()) {
        std::fprintf(stderr, "cuda-step: %s\n", cases.status().to_string().c_str());
        return 1;
    }
    // The CPU steps on this machine, for scale.
    std::vector<double> cpu_t1;
    for (const ModelCase& m : *cases) {
        auto t = cpu_step(m);
        if (!t.ok()) {
            std::fprintf(stderr, "cuda-step: %s\n", t.status().to_string().c_str());
            return 1;
        }
        cpu_t1.push_back(*t);
    }
#if !defined(STEP_HAVE_CUBLAS)
    (void)cpu_t1;
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
    const std::string device = cuda_device_description();
    for (size_t i = 0; i < cases->size(); ++i)
        if (gpu_figures((*cases)[i], cpu_t1[i], **exact, **fast, device) != 0) return 1;
    return 0;
#endif
}

}  // namespace step::bench
