// step-bench sigverify: Ed25519 verifications per second at 1 and 2 threads.
#include <time.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_json.h"
#include "consensus/keys.h"

namespace step::bench {
int consensus_sigverify(const std::vector<std::string>&) {
    using namespace step::consensus;
    using Clock = std::chrono::steady_clock;
    constexpr size_t kSigs = 1024;
    struct Item {
        PublicKey pub;
        Hash256 msg;
        Signature sig;
    };
    std::vector<Item> items(kSigs);
    for (size_t i = 0; i < kSigs; ++i) {
        SecretSeed seed{};
        seed.fill(static_cast<uint8_t>(i));
        seed[0] = static_cast<uint8_t>(i >> 8);
        items[i].pub = public_key_from_seed(seed);
        items[i].msg.fill(static_cast<uint8_t>(i * 7));
        items[i].sig = ed25519_sign(seed, items[i].msg);
    }
    for (unsigned threads : {1u, 2u}) {
        std::atomic<uint64_t> verified{0}, failed{0};
        const auto start = Clock::now();
        const double cpu0 = process_cpu_seconds();
        const auto until = start + std::chrono::milliseconds(1500);
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                uint64_t n = 0, bad = 0;
                for (size_t i = t; Clock::now() < until; i = (i + threads) % kSigs) {
                    for (int rep = 0; rep < 16; ++rep, ++n)
                        bad += !ed25519_verify(items[i].pub, items[i].msg, items[i].sig);
                }
                verified += n;
                failed += bad;
            });
        for (auto& th : pool) th.join();
        const double secs = std::chrono::duration<double>(Clock::now() - start).count();
        const double cpu = process_cpu_seconds() - cpu0;
        if (failed != 0) return 1;
        emit({"sigverify_" + std::to_string(threads) + "t", static_cast<double>(verified) / secs,
              "verifications/s", "", 0, "Ed25519 (Crypto++ donna), " + std::to_string(threads) +
              " thread(s)"});
        // The build machine is shared; per CPU-second is the contention-free per-core rate.
        emit({"sigverify_" + std::to_string(threads) + "t_per_cpu_s",
              static_cast<double>(verified) / cpu, "verifications/cpu-s", "", 0,
              "process CPU time, " + std::to_string(threads) + " thread(s)"});
    }
    return 0;
}

}  // namespace step::bench
