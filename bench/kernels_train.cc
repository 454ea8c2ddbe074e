// step-bench train-mlp: training steps/s of the example task's model (mlp{784,256,256,10}, ReLU,
//   batch 64, SGD momentum) on the CPU reference backend at 1 and 2 threads.
// step-bench train-gpt: training steps/s of the gpt-tiny example's shape (gpt{256,64,2,64,4},
//   batch 16, AdamW, max_grad_norm 1, leaf interval 4) on the CPU backend at 1 and 2 threads.
// step-bench digest: time to hash the example state (state_root) and its share of training time
//   at the example's leaf interval.
// Options: --steps N (timed steps, default 40), --leaf-interval L (default 50). train-mlp also
//   gives the one-thread step per second of CPU time (train_mlp_steps_per_cpu_s).
#include <time.h>

#include <chrono>
#include <string>
#include <vector>

#include "bench/bench_json.h"
#include "bench/bench_specs.h"
#include "common/hash.h"
#include "kernels/rng.h"
#include "kernels/run.h"

namespace step::bench {

namespace {

using namespace step::kernels;
using Clock = std::chrono::steady_clock;

TaskSpec example_spec() {
    TaskSpec s;
    s.model = *parse_model_spec("mlp{784,256,256,10}", Activation::kRelu);
    s.optimizer.lr = 0.1f;
    s.optimizer.momentum = 0.9f;
    s.batch = 64;
    s.steps = s.steps_per_unit = 1000;
    s.seed = 1;
    s.leaf_interval = 50;
    s.checkpoint_interval = 500;
    return s;
}

// Synthetic records of `format` (timing does not depend on the bytes' meaning); MNIST labels
// are made valid.
Dataset synthetic(uint64_t n, const std::string& format = "mnist-u8") {
    Dataset ds{*record_format(format), {}};
    ds.bytes.resize(n * ds.format.record_bytes);
    for (uint64_t i = 0; i < ds.bytes.size(); ++i)
        ds.bytes[i] = static_cast<uint8_t>(rng_u64(7, RngPurpose::kInit, i) & 0xff);
    if (format == "mnist-u8")
        for (uint64_t i = 0; i < n; ++i) ds.bytes[i * kMnistRecordBytes + kMnistPixels] = i % 10;
    return ds;
}

uint64_t option(const std::vector<std::string>& args, const std::string& name, uint64_t dflt) {
    for (size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == name) return std::stoull(args[i + 1]);
    return dflt;
}

struct StepTimes {
    double wall = 0, cpu = 0;  // seconds per step; cpu: the process's CPU time, all threads
};

double process_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Seconds per step over `steps` timed steps after 3 warm-up steps.
StepTimes step_times(unsigned threads, uint64_t steps, const TaskSpec& spec = example_spec(),
                     const Dataset& data = synthetic(2048)) {
    ThreadPool pool(threads);
    Exec ex{&pool, detect_simd()};
    auto be = make_cpu_backend(ex);
    RunOptions warm;
    warm.until_step = 3;
    auto r0 = run_training(*be, ex, spec, data, *init_state(spec), warm);
    RunOptions timed;
    timed.until_step = 3 + steps;
    const double cpu0 = process_cpu_seconds();
    auto r = run_training(*be, ex, spec, data, r0->final_state, timed);
    const double n = static_cast<double>(steps);
    return {r->train_seconds / n, (process_cpu_seconds() - cpu0) / n};
}

double seconds_per_step(unsigned threads, uint64_t steps, const TaskSpec& spec = example_spec(),
                        const Dataset& data = synthetic(2048)) {
    return step_times(threads, steps, spec, data).wall;
}

}  // namespace

int kernels_train_mlp(const std::vector<std::string>& args) {
    uint64_t steps = option(args, "--steps", 40);
    for (unsigned threads : {1u, 2u}) {
        const StepTimes t = step_times(threads, steps);
        emit({"train_mlp_steps_per_s", 1.0 / t.wall, "steps/s", "", 0,
              "mlp{784,256,256,10} relu batch 64 sgd, cpu reference, threads=" +
                  std::to_string(threads) + ", simd=" + simd_name(detect_simd())});
        // At one thread the step's CPU time, which a shared machine's other load inflates
        // far less than the wall clock (compare with the peer's CPU time, not its wall time).
        if (threads == 1)
            emit({"train_mlp_steps_per_cpu_s", 1.0 / t.cpu, "steps/s", "", 0,
                  "the same, per second of the process's CPU time (CLOCK_PROCESS_CPUTIME_ID)"});
    }
    return 0;
}

int kernels_train_gpt(const std::vector<std::string>& args) {
    uint64_t steps = option(args, "--steps", 40);
    const TaskSpec spec = gpt_bench_spec();
    const Dataset data = synthetic(2048, kTextFormatName);
    for (unsigned threads : {1u, 2u}) {
        double sps = 1.0 / seconds_per_step(threads, steps, spec, data);
        emit({"train_gpt_steps_per_s", sps, "steps/s", "", 0,
              "gpt{256,64,2,64,4} batch 16 adamw clip 1.0, leaf interval 4, cpu, threads=" +
                  std::to_string(threads) + ", simd=" + simd_name(detect_simd())});
    }
    return 0;
}

int kernels_digest(const std::vector<std::string>& args) {
    uint64_t L = option(args, "--leaf-interval", 25);  // examples/mnist-mlp.toml
    TaskSpec spec = example_spec();
    TrainState s = *init_state(spec);
    Bytes bytes = state_to_bytes(s);
    const int reps = 20;
    // Hashing time depends on whether Crypto++ found the CPU's SHA extensions.
    const std::string sha256_impl = sha256_hardware_accelerated() ? "sha-ni" : "software";
    double hash_s[3] = {0, 0, 0};
    for (unsigned threads : {1u, 2u}) {
        ThreadPool pool(threads);
        Exec ex{&pool, detect_simd()};
        state_root(s, ex);
        auto t0 = Clock::now();
        for (int i = 0; i < reps; ++i) state_root(s, ex);
        hash_s[threads] = std::chrono::duration<double>(Clock::now() - t0).count() / reps;
        emit({"state_root_ms", 1e3 * hash_s[threads], "ms", "", 0,
              std::to_string(bytes.size()) +
                  " state bytes (serialise + chunked SHA-256), threads=" + std::to_string(threads) +
                  ", sha256=" + sha256_impl});
    }
    for (unsigned threads : {1u, 2u}) {
        double step_s = seconds_per_step(threads, option(args, "--steps", 20));
        double share = hash_s[threads] / (static_cast<double>(L) * step_s + hash_s[threads]);
        emit({"digest_share_of_training", 100 * share, "%", "", 0,
              "leaf interval " + std::to_string(L) + ", threads=" + std::to_string(threads) +
                  ", step " + std::to_string(1e3 * step_s) + " ms"});
    }
    return 0;
}

}  // namespace step::bench
