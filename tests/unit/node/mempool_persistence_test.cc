// mempool.dat with a real Node: saved from the pool, reloaded through Node::submit_transaction
// after a restart on the same datadir, and written by the periodic saver.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "consensus/encoding.h"
#include "consensus/state.h"
#include "consensus/transaction.h"
#include "node/chain/chain_manager.h"
#include "node/mempool_file.h"
#include "node/mempool_persistence.h"
#include "node/node.h"
#include "node/storage/database.h"
#include "tests/unit/node/test_node.h"
#include "node/errors.h"

using namespace step;
using namespace step::node;
namespace cs = step::consensus;

namespace {

const cs::Params& params() { return cs::devnet_params(); }

std::string temp_dir(const std::string& name) { return testing::fresh_temp_dir("step-mempool-persist", name); }

cs::SecretSeed seed_of(uint8_t n) {
    cs::SecretSeed s{};
    s.fill(n);
    return s;
}

cs::Address address(uint8_t n) { return cs::address_from_pubkey(cs::public_key_from_seed(seed_of(n))); }

pb::Transaction transfer(uint8_t from, uint8_t to, uint64_t nonce, uint64_t amount) {
    pb::Transaction tx;
    tx.set_chain_id(params().chain_id);
    tx.set_nonce(nonce);
    tx.set_fee(params().min_fee);
    const cs::Address dest = address(to);
    tx.mutable_transfer()->set_to(std::string(dest.begin(), dest.end()));
    tx.mutable_transfer()->set_amount(amount);
    cs::sign_transaction(tx, seed_of(from));
    return tx;
}

// The node's database lives in <dir>/chain, as stepd's does; mempool.dat goes in <dir>.
struct PersistNode : testing::TestNode {
    PersistNode(const std::string& dir, uint64_t* clock) : TestNode(dir + "/chain", clock) {}
    MempoolFileLimits limits() const { return {mempool->max_bytes(), static_cast<size_t>(params().max_tx_bytes)}; }
};

}  // namespace

TEST_CASE("a restarted node reloads its saved pool and drops what was mined since the save") {
    const std::string dir = temp_dir("restart");
    uint64_t clock = params().genesis_timestamp + 1000;
    const pb::Transaction mined_later = transfer(1, 2, 0, 100);
    const pb::Transaction waiting = transfer(4, 2, 1, 200);  // nonce 1 of 4: waits for nonce 0
    {
        PersistNode n(dir, &clock);
        n.mine(address(1));
        n.mine(address(4));
        REQUIRE(n.node->submit_transaction(mined_later).ok());
        REQUIRE(n.node->submit_transaction(waiting).ok());
        REQUIRE(save_mempool(*n.node, dir).ok());
        // After the save, a block confirms one of them; then the process dies without saving.
        n.mine(address(3));
        REQUIRE(n.node->mempool_info().size == 1);
    }
    PersistNode n(dir, &clock);
    REQUIRE(n.node->mempool_info().size == 0);
    const MempoolLoadReport report = load_mempool(
        dir, n.limits(), [&](const pb::Transaction& tx) { return n.node->submit_transaction(tx); });
    CHECK(report.file_status.ok());
    CHECK(report.total == 2);
    CHECK(report.accepted == 1);
    CHECK(report.dropped == 1);
    CHECK(n.node->mempool_info().size == 1);
    CHECK(n.node->mempool_tx(cs::txid(waiting)));
    CHECK_FALSE(n.node->mempool_tx(cs::txid(mined_later)));
    std::filesystem::remove_all(dir);
}

TEST_CASE("the periodic saver writes the pool once it changes") {
    const std::string dir = temp_dir("periodic");
    uint64_t clock = params().genesis_timestamp + 1000;
    PersistNode n(dir, &clock);
    n.mine(address(1));
    const std::string path = mempool_file_path(dir);
    PeriodicMempoolSaver saver(*n.node, dir, std::chrono::milliseconds(5));
    saver.start();
    const uint64_t before = n.node->mempool_generation();
    const pb::Transaction tx = transfer(1, 2, 0, 100);
    REQUIRE(n.node->submit_transaction(tx).ok());
    CHECK(n.node->mempool_generation() != before);
    // Bounded wait for the saver's next round (it runs every 5 ms); no assertion on timing.
    Result<std::vector<Bytes>> records = Status::error(step::node::codes::kMempoolFileMissing, "not yet");
    for (int i = 0; i < 2000; ++i) {
        records = read_mempool_file(path, n.limits());
        if (records.ok() && records->size() == 1) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    saver.stop();
    REQUIRE(records.ok());
    REQUIRE(records->size() == 1);
    CHECK((*records)[0] == cs::encode_tx(tx));
    std::filesystem::remove_all(dir);
}
