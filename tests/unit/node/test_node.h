// Shared by the node tests: a devnet Node over a LevelDB database in a directory, with a fixed
// clock so block timestamps are deterministic. Reopening the same directory is a restart.
#pragma once

#include <catch2/catch.hpp>
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

#include "consensus/params.h"
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

struct TestNode {
    TestNode(const std::string& db_dir, uint64_t* clock) {
        auto d = Database::open(db_dir);
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
