// step-bench stateroot: state tree update cost per changed key at 10^4 and 10^6 accounts.
// Args: optional account counts (default 10000 1000000).
#include <time.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_json.h"
#include "consensus/kv.h"
#include "consensus/state_keys.h"
#include "consensus/state_tree.h"

namespace step::bench {

namespace {

// The account key of an address holding i (little-endian) in its first 8 bytes.
Bytes account_key_of(uint64_t i) {
    consensus::Address a{};
    for (size_t b = 0; b < 8; ++b) a[b] = static_cast<uint8_t>(i >> (8 * b));
    return consensus::account_key(a);
}

}  // namespace

int consensus_stateroot(const std::vector<std::string>& args) {
    using namespace step::consensus;
    using Clock = std::chrono::steady_clock;
    std::vector<uint64_t> sizes;
    for (const auto& a : args) sizes.push_back(std::stoull(a));
    if (sizes.empty()) sizes = {10'000, 1'000'000};
    const Bytes value(60, 0x42);  // about the size of an account value
    for (uint64_t n : sizes) {
        MemoryKv kv;
        const auto b0 = Clock::now();
        for (uint64_t start = 0; start < n; start += 100'000) {  // build in batches
            KvWrites batch;
            for (uint64_t i = start; i < std::min(n, start + 100'000); ++i) batch[account_key_of(i)] = value;
            auto u = update_state_tree(kv, batch);
            kv.apply(u->node_writes);
        }
        const double build_s = std::chrono::duration<double>(Clock::now() - b0).count();

        // Blocks changing 2,000 random existing accounts (a full block of transfers touches
        // ~2 accounts per tx); time the tree update only.
        std::mt19937_64 rng(n);
        constexpr size_t kChanged = 2'000;
        double total = 0, total_cpu = 0;
        size_t nodes_written = 0;
        constexpr int kRounds = 5;
        for (int r = 0; r < kRounds; ++r) {
            KvWrites batch;
            Bytes v = value;
            v[0] = static_cast<uint8_t>(r);
            while (batch.size() < kChanged) batch[account_key_of(rng() % n)] = v;
            const auto t0 = Clock::now();
            const double c0 = process_cpu_seconds();
            auto u = update_state_tree(kv, batch);
            total += std::chrono::duration<double>(Clock::now() - t0).count();
            total_cpu += process_cpu_seconds() - c0;
            nodes_written += u->node_writes.size();
            kv.apply(u->node_writes);
        }
        const std::string tag = n >= 1'000'000 ? "1e6" : n >= 10'000 ? "1e4" : std::to_string(n);
        const std::string note = std::to_string(n) + " accounts, " + std::to_string(kChanged) +
                                 " changed keys per update, " +
                                 std::to_string(nodes_written / (kRounds * kChanged)) +
                                 " node writes per key, build " + std::to_string(build_s) + " s";
        emit({"stateroot_update_" + tag, total / (kRounds * kChanged) * 1e6, "us/changed-key", "", 0,
              note});
        // CPU time: the uncontended cost on the shared build machine.
        emit({"stateroot_update_" + tag + "_cpu", total_cpu / (kRounds * kChanged) * 1e6,
              "cpu-us/changed-key", "", 0, note});
    }
    return 0;
}

}  // namespace step::bench
