// step-bench blockvalidate: transfers validated per second in full blocks (apply_block over the
// in-memory KV, signatures and state root included).
#include <time.h>

#include <chrono>
#include <string>
#include <vector>

#include "bench/bench_json.h"
#include "consensus/block.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/state.h"
#include "consensus/state_tree.h"
#include "consensus/transaction.h"

namespace step::bench {
int consensus_blockvalidate(const std::vector<std::string>&) {
    using namespace step::consensus;
    using Clock = std::chrono::steady_clock;
    const Params& p = devnet_params();
    const size_t n = static_cast<size_t>(p.max_block_txs);  // one full block of transfers

    // Parent state: n funded senders (plus the tree over them), each paying a fresh recipient.
    MemoryKv kv;
    KvWrites funding;
    std::vector<SecretSeed> seeds(n);
    for (size_t i = 0; i < n; ++i) {
        seeds[i].fill(0x5a);
        for (int b = 0; b < 4; ++b) seeds[i][static_cast<size_t>(b)] = static_cast<uint8_t>(i >> (8 * b));
        AccountState a;
        a.balance = 1000 * kCoin;
        funding[account_key(address_from_pubkey(public_key_from_seed(seeds[i])))] = encode_account(a);
    }
    auto tree = update_state_tree(kv, funding);
    kv.apply(funding);
    kv.apply(tree->node_writes);
    ChainTip parent = genesis_tip(p);
    parent.state_root = tree->root;

    std::vector<pb::Transaction> txs(n);
    for (size_t i = 0; i < n; ++i) {
        auto& tx = txs[i];
        tx.set_chain_id(p.chain_id);
        tx.set_fee(p.min_fee);
        Address to{};
        to.fill(0xee);
        to[0] = static_cast<uint8_t>(i);
        to[1] = static_cast<uint8_t>(i >> 8);
        tx.mutable_transfer()->set_to(to.data(), to.size());
        tx.mutable_transfer()->set_amount(kCoin);
        sign_transaction(tx, seeds[i]);
    }
    Address miner{};
    miner.fill(1);
    auto assembled = assemble_block(kv, parent, txs, miner, parent.timestamp + p.block_time_s, p);
    if (!assembled.ok() || assembled->block.transactions_size() != static_cast<int>(n)) return 1;
    pb::Block block = assembled->block;
    for (uint64_t nonce = 0; !check_pow(block.header(), p); ++nonce) block.mutable_header()->set_nonce(nonce);

    const std::string base_note = std::to_string(n) + " transfers, " +
                                  std::to_string(encode_block(block).size()) + " bytes";
    for (unsigned threads : {1u, 2u}) {
        double best = 1e30, best_cpu = 1e30;
        for (int rep = 0; rep < 3; ++rep) {
            const auto t0 = Clock::now();
            const double c0 = process_cpu_seconds();
            auto r = apply_block(kv, block, p, ApplyContext{block.header().timestamp(), parent},
                                 threads);
            const double s = std::chrono::duration<double>(Clock::now() - t0).count();
            if (!r.ok()) return 1;
            best = std::min(best, s);
            best_cpu = std::min(best_cpu, process_cpu_seconds() - c0);
        }
        const std::string t = std::to_string(threads) + "t";
        const std::string note = base_note + ", signature threads " + std::to_string(threads);
        emit({"blockvalidate_txs_" + t, static_cast<double>(n) / best, "txs/s", "", 0, note});
        emit({"blockvalidate_block_" + t, best * 1e3, "ms/block", "", 0, note});
        // The build machine is shared by several builds; CPU time is the uncontended cost.
        emit({"blockvalidate_txs_per_cpu_s_" + t, static_cast<double>(n) / best_cpu, "txs/cpu-s",
              "", 0, note});
    }
    return 0;
}

}  // namespace step::bench
