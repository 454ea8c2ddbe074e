// step-bench fraudproof: time for a node to check one fraud proof of the example task
//   (examples/mnist-mlp.toml: mlp{784,256,256,10}, batch 64, its leaf interval) on the CPU
//   reference with one thread, i.e. check_fraud_proof end to end: Merkle proofs, the pre-state's
//   leaf, the L-step replay and the result's leaf. Data: the 500-digit fixture, and that fixture
//   tiled to 7,996 records (the real training set's size, so a segment's 3,200 batch rows are
//   all distinct records, as on real data) without needing the network.
// Options: --spec PATH (default examples/mnist-mlp.toml), --data PATH (default
//   tests/fixtures/mnist-train-500.rec), --runs N (default 3), --L N (another leaf interval; the
//   checkpoint interval becomes 2L when the spec's no longer fits), --tiled-only; paths
//   relative to the working directory (run from the repository root).
#include <algorithm>
#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include "bench/bench_json.h"
#include "bench/benches.h"
#include "common/hash.h"
#include "common/merkle.h"
#include "kernels/data.h"
#include "kernels/simd.h"
#include "kernels/spec.h"
#include "kernels/state.h"
#include "kernels/trainer.h"
#include "verifier/fraud_proof.h"
#include "verifier/whistle.h"

namespace step::bench {

namespace {

using namespace step::kernels;
using namespace step::verifier;
using Clock = std::chrono::steady_clock;

// CPU time of the calling thread: on a shared, oversubscribed machine the wall time of a
// one-thread check overstates what one core needs.
double thread_cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

std::string str_option(const std::vector<std::string>& args, const std::string& name,
                       const std::string& dflt) {
    for (size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == name) return args[i + 1];
    return dflt;
}

int fail(const Status& s) {
    std::fprintf(stderr, "step-bench fraudproof: %s\n", s.to_string().c_str());
    return 1;
}

// Checks a proof of leaf 1 (pre-state G_0, so no long training is needed to build it) of a trace
// whose leaf 1 is wrong, `runs` times; returns the check times in ms.
Result<std::vector<double>> time_checks(const TaskSpec& spec, const Dataset& data, int runs,
                                        uint64_t& proof_bytes, uint64_t& bound_bytes,
                                        std::vector<double>& cpu_ms) {
    Exec ex{nullptr, detect_simd()};
    auto shape = trace_shape(spec);
    if (!shape.ok()) return shape.status();
    UnitRef unit{sha256(as_bytes("bench-task")), 0, 0};
    auto g0 = init_state(spec);
    if (!g0.ok()) return g0.status();
    std::vector<Hash256> leaves;
    leaves.push_back(trace_leaf(unit, 0, *g0, ex));
    for (uint32_t i = 1; i <= shape->last_leaf; ++i)
        leaves.push_back(sha256(as_bytes("forged leaf " + std::to_string(i))));
    auto proof = build_segment_proof(spec, data, unit, leaves, 1, *g0);
    if (!proof.ok()) return proof.status();
    FraudCheckContext ctx;
    ctx.unit = unit;
    ctx.dataset_root = dataset_root(data);
    ctx.dataset_count = data.count();
    ctx.trace_root = merkle_root(leaves);
    ctx.leaf_count = shape->leaf_count();
    proof_bytes = proof->wire_size();
    auto bound = max_fraud_proof_bytes(spec, data.count());
    bound_bytes = bound.ok() ? *bound : 0;
    std::vector<double> ms;
    for (int r = 0; r < runs; ++r) {
        auto t0 = Clock::now();
        double c0 = thread_cpu_ms();
        auto v = check_fraud_proof(spec, ctx, *proof);
        cpu_ms.push_back(thread_cpu_ms() - c0);
        double dt = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (!v.ok()) return v.status();
        if (!v->fraud) return Status::error(kBenchFailed, "forged leaf 1 not proven wrong");
        ms.push_back(dt);
    }
    return ms;
}

// The replay inside a check alone: L training steps from G_0 on one thread (same batches).
Result<double> time_replay(const TaskSpec& spec, const Dataset& data) {
    Exec ex{nullptr, detect_simd()};
    auto be = make_cpu_backend(ex);
    auto t = Trainer::create(*be, spec);
    if (!t.ok()) return t.status();
    auto g0 = init_state(spec);
    if (!g0.ok()) return g0.status();
    STEP_TRY((*t)->load(*g0));
    double c0 = thread_cpu_ms();
    for (uint64_t i = 0; i < spec.leaf_interval; ++i) {
        auto idx = batch_indices(spec.seed, data.count(), 1, 0, spec.batch, i);
        if (!idx.ok()) return idx.status();
        auto loss = (*t)->train_step(gather_records(data, *idx));
        if (!loss.ok()) return loss.status();
    }
    return thread_cpu_ms() - c0;
}

}  // namespace

int verifier_fraudproof(const std::vector<std::string>& args) {
    auto spec = load_task_spec(str_option(args, "--spec", "examples/mnist-mlp.toml"));
    if (!spec.ok()) return fail(spec.status());
    auto fmt = record_format(spec->data_format);
    if (!fmt.ok()) return fail(fmt.status());
    auto fixture = load_records(str_option(args, "--data", "tests/fixtures/mnist-train-500.rec"), *fmt);
    if (!fixture.ok()) return fail(fixture.status());
    int runs = std::max(1, std::stoi(str_option(args, "--runs", "3")));
    if (uint64_t L = std::stoull(str_option(args, "--L", "0"))) {
        spec->leaf_interval = L;
        if (spec->checkpoint_interval < 2 * L || spec->checkpoint_interval % L)
            spec->checkpoint_interval = 2 * L;
    }
    const bool tiled_only = std::find(args.begin(), args.end(), "--tiled-only") != args.end();

    Dataset tiled{*fmt, {}};
    const uint64_t mnist_train = 7996;
    while (tiled.count() < mnist_train) {
        uint64_t take = std::min<uint64_t>(fixture->count(), mnist_train - tiled.count());
        tiled.bytes.insert(tiled.bytes.end(), fixture->bytes.begin(),
                           fixture->bytes.begin() + static_cast<std::ptrdiff_t>(take * fmt->record_bytes));
    }
    std::string shape = spec->model.text() + " batch " + std::to_string(spec->batch) + " L=" +
                        std::to_string(spec->leaf_interval) + ", 1 thread, simd=" +
                        simd_name(detect_simd());
    struct Case {
        const char* suffix;
        const Dataset* data;
    };
    for (Case c : {Case{"", &tiled}, Case{"_fixture500", &*fixture}}) {
        if (tiled_only && c.data != &tiled) break;
        uint64_t bytes = 0, bound = 0;
        std::vector<double> cpu;
        auto ms = time_checks(*spec, *c.data, runs, bytes, bound, cpu);
        if (!ms.ok()) return fail(ms.status());
        std::sort(ms->begin(), ms->end());
        std::sort(cpu.begin(), cpu.end());
        std::string note = shape + ", " + std::to_string(c.data->count()) + " records, median of " +
                           std::to_string(runs);
        emit({std::string("fraudproof_check") + c.suffix, (*ms)[ms->size() / 2], "ms", "", 0,
              "wall, " + note});
        emit({std::string("fraudproof_check_cpu") + c.suffix, cpu[cpu.size() / 2], "ms", "", 0,
              "thread CPU time, " + note});
        if (!*c.suffix) {
            auto replay = time_replay(*spec, *c.data);
            if (!replay.ok()) return fail(replay.status());
            emit({"fraudproof_replay_only", *replay, "ms", "", 0,
                  "thread CPU time of the L training steps alone (the replay inside a check)"});
        }
        emit({std::string("fraudproof_bytes") + c.suffix, static_cast<double>(bytes), "bytes", "",
              0, "wire size of the checked proof"});
        emit({std::string("fraudproof_max_bytes") + c.suffix, static_cast<double>(bound), "bytes",
              "", 0, "max_fraud_proof_bytes bound for the spec"});
    }
    return 0;
}

}  // namespace step::bench
