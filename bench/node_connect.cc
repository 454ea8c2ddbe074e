// node_connect: block production and connection through the real node path (template from the
// mempool, apply_block, one synced LevelDB batch per block) on a temporary devnet datadir.
//   step-bench node_connect [BLOCKS=50] [TXS_PER_BLOCK=100] [KEEP_DATADIR]
// With KEEP_DATADIR the chain is built in KEEP_DATADIR/chain and left there as a stepd datadir,
// and one more block of TXS_PER_BLOCK transfers (mined, not connected) is written as hex to
// KEEP_DATADIR/next-block.hex: scripts/bench-p2p.sh syncs and propagates them between nodes.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "bench/bench_json.h"
#include "consensus/encoding.h"
#include "consensus/pow.h"
#include "consensus/transaction.h"
#include "node/chain/chain_manager.h"
#include "node/log.h"
#include "node/mempool.h"
#include "node/node.h"
#include "node/storage/database.h"

namespace step::bench {

namespace {

// Mines a block on the node's tip from its mempool without connecting it, and writes its
// canonical bytes as hex.
bool write_next_block(step::node::Node& node, const step::consensus::Address& miner,
                      const std::filesystem::path& path) {
    auto tmpl = node.block_template(miner);
    if (!tmpl.ok()) return false;
    step::pb::Block& block = tmpl->block;
    for (uint64_t nonce = 0;; ++nonce) {
        block.mutable_header()->set_nonce(nonce);
        if (step::consensus::check_pow(block.header(), node.params())) break;
    }
    std::ofstream out(path);
    out << step::to_hex(step::consensus::encode_block(block)) << "\n";
    return static_cast<bool>(out);
}

}  // namespace

int node_connect(const std::vector<std::string>& args) {
    namespace cs = step::consensus;
    using namespace step::node;
    const size_t blocks = args.size() > 0 ? std::stoul(args[0]) : 50;
    const size_t per_block = args.size() > 1 ? std::stoul(args[1]) : 100;
    const cs::Params& params = cs::devnet_params();
    set_log_level(LogLevel::kWarn);

    const bool keep = args.size() > 2;
    const auto dir = keep ? std::filesystem::path(args[2]) / "chain"
                          : std::filesystem::temp_directory_path() /
                                ("step-bench-node-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir.parent_path());
    auto db = Database::open(dir.string());
    if (!db.ok()) return 1;
    auto chain = ChainManager::open(**db, params);
    if (!chain.ok()) return 1;
    Mempool mempool(params);
    Metrics metrics;
    Node node(**chain, mempool, metrics);
    std::atomic<bool> stop{false};

    // One funded sender per transaction slot: block i pays sender i.
    std::vector<cs::SecretSeed> seeds(per_block);
    for (size_t i = 0; i < per_block; ++i) {
        seeds[i].fill(0);
        seeds[i][0] = static_cast<uint8_t>(i);
        seeds[i][1] = static_cast<uint8_t>(i >> 8);
        const auto addr = cs::address_from_pubkey(cs::public_key_from_seed(seeds[i]));
        if (!node.mine_block(addr, stop).ok()) return 1;
    }
    const cs::Address sink{};

    double seconds = 0;
    size_t txs = 0;
    for (size_t b = 0; b <= blocks; ++b) {
        for (size_t i = 0; i < per_block; ++i) {
            pb::Transaction tx;
            tx.set_chain_id(params.chain_id);
            tx.set_nonce(b);
            tx.set_fee(params.min_fee);
            tx.mutable_transfer()->set_to(std::string(sink.begin(), sink.end()));
            tx.mutable_transfer()->set_amount(1);
            cs::sign_transaction(tx, seeds[i]);
            if (!node.submit_transaction(tx).ok()) return 1;
        }
        if (b == blocks) {
            if (keep && !write_next_block(node, sink, dir.parent_path() / "next-block.hex"))
                return 1;
            break;
        }
        const auto start = std::chrono::steady_clock::now();
        auto mined = node.mine_block(sink, stop);
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (!mined.ok()) return 1;
        txs += per_block - node.mempool_info().size;
    }
    const std::string note = std::to_string(per_block) + " transfers per block, synced writes";
    emit({"node_connect_blocks_per_s", blocks / seconds, "blocks/s", "", 0, note});
    emit({"node_connect_txs_per_s", txs / seconds, "txs/s", "", 0, note});
    db.value().reset();  // close the database before its files go
    if (!keep) std::filesystem::remove_all(dir);
    return 0;
}

}  // namespace step::bench
