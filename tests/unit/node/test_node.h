// Shared by the node tests: a devnet Node over a LevelDB database in a directory, with a fixed
// clock so block timestamps are deterministic. Reopening the same directory is a restart.
#pragma once

#include <unistd.h>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "consensus/block.h"
#include "consensus/params.h"
#include "consensus/pow.h"
#include "node/chain/chain_manager.h"
#include "node/mempool.h"
#include "node/metrics.h"
#include "node/node.h"
#include "node/storage/database.h"

namespace step::node::testing {

// A fresh, empty directory under the system temp dir, unique per test process.
inline std::string fresh_temp_dir(const std::string& prefix, const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() /
               (prefix + "-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
}

// A devnet header extending `parent` with valid proof of work; `salt` tells siblings apart. Its
// body is never built (the roots are arbitrary): only the header rules apply to it.
inline pb::BlockHeader header_with_pow(const consensus::ChainTip& parent, uint64_t salt) {
    const auto& p = consensus::devnet_params();
    pb::BlockHeader h;
    h.set_version(p.block_version);
    h.set_height(parent.height + 1);
    h.set_prev_hash(parent.hash.data(), parent.hash.size());
    h.set_timestamp(consensus::median_time_past(parent.recent_timestamps) + 1);
    h.set_target(consensus::next_target(parent.height, parent.timestamp, p).to_be().data(), 32);
    h.set_miner(std::string(20, '\x09'));
    Hash256 root{};
    std::memcpy(root.data(), &salt, sizeof salt);
    h.set_tx_root(root.data(), root.size());
    h.set_state_root(root.data(), root.size());
    for (uint64_t nonce = 0;; ++nonce) {
        h.set_nonce(nonce);
        if (consensus::check_pow(h, p)) return h;
    }
}

struct TestNode {
    TestNode(const std::string& db_dir, uint64_t* clock, DatabaseOptions options = {}) {
        auto d = Database::open(db_dir, std::move(options));
        REQUIRE(d.ok());
        db = std::move(*d);
        const auto& p = consensus::devnet_params();
        auto c = ChainManager::open(*db, p, [clock] { return *clock; });
        REQUIRE(c.ok());
        chain = std::move(*c);
        mempool = std::make_unique<Mempool>(p);
        node = std::make_unique<Node>(*chain, *mempool, metrics, [clock] { return *clock; });
    }
    Hash256 mine(const consensus::Address& to) {
        std::atomic<bool> stop{false};
        auto r = node->mine_block(to, stop);
        INFO(r.status().to_string());
        REQUIRE(r.ok());
        REQUIRE(r->has_value());
        return **r;
    }
    std::unique_ptr<Database> db;
    std::unique_ptr<ChainManager> chain;
    std::unique_ptr<Mempool> mempool;
    Metrics metrics;
    std::unique_ptr<Node> node;
};

}  // namespace step::node::testing
