// step-bench NAME [ARGS]: runs one benchmark, printing one JSON line per figure.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench/benches.h"

namespace step::bench {

// Benchmarks register here, one line each (declare the function in its own file's part).
#define STEP_BENCH_LIST(X) /* X(name, "what it measures", function) */ \
    X("node_connect", "block template, apply_block and synced connect, blocks/s and txs/s", node_connect) \
    X("rpc_slow_flood", "JSON-RPC call latency while slow clients flood the connection slots", node_rpc_slow_flood) \
    X("gemm", "exact GEMM GFLOP/s on the MLP shapes vs OpenBLAS", kernels_gemm) \
    X("cuda-step", "exact CUDA training step vs cuBLAS GEMMs (skips without a GPU)", kernels_cuda_step) \
    X("train-mlp", "MNIST MLP training steps/s, 1 and 2 threads", kernels_train_mlp) \
    X("train-gpt", "byte-level GPT (gpt-tiny example) training steps/s, 1 and 2 threads", kernels_train_gpt) \
    X("digest", "state hashing time and share of step time", kernels_digest) \
    X("sigverify", "Ed25519 verifications/s at 1 and 2 threads", consensus_sigverify) \
    X("blockvalidate", "transfers validated/s in full blocks (in-memory KV)", consensus_blockvalidate) \
    X("stateroot", "state tree update cost per changed key at 1e4 and 1e6 accounts", consensus_stateroot) \
    X("fraudproof", "ms to check one fraud proof of the example task, 1 thread", verifier_fraudproof) \
    X("audit", "audit replay share of training and audit catch probabilities", verifier_audit) \
    X("whistle_catch_rate", "whistleblower segment replays and forged units caught per core-hour", wallet_whistle)

#define STEP_BENCH_DECLARE(name, what, fn) int fn(const std::vector<std::string>& args);
STEP_BENCH_LIST(STEP_BENCH_DECLARE)

const std::vector<Entry>& all_benches() {
#define STEP_BENCH_ENTRY(name, what, fn) Entry{name, what, &fn},
    static const std::vector<Entry> entries{STEP_BENCH_LIST(STEP_BENCH_ENTRY)};
    return entries;
}

}  // namespace step::bench

int main(int argc, char** argv) {
    using namespace step::bench;
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "list") == 0) {
        std::printf("usage: step-bench NAME [ARGS]\n\nbenchmarks:\n");
        for (const auto& e : all_benches()) std::printf("  %-14s %s\n", e.name, e.what);
        return argc < 2 ? 2 : 0;
    }
    std::vector<std::string> args(argv + 2, argv + argc);
    for (const auto& e : all_benches())
        if (e.name == std::string(argv[1])) return e.run(args);
    std::fprintf(stderr, "step-bench: unknown benchmark '%s' (try: step-bench list)\n", argv[1]);
    return 2;
}
