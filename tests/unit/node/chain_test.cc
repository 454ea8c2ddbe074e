#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "consensus/encoding.h"
#include "consensus/pow.h"
#include "consensus/state.h"
#include "consensus/transaction.h"
#include "node/chain/chain_manager.h"
#include "node/miner.h"
#include "node/node.h"
#include "node/storage/database.h"
#include "tests/unit/node/test_node.h"
#include "consensus/errors.h"
#include "node/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::node;
namespace cs = step::consensus;

namespace {

const cs::Params& params() { return cs::devnet_params(); }

std::string temp_dir(const std::string& name) { return testing::fresh_temp_dir("step-chain-test", name); }

cs::Address address(uint8_t n) {
    cs::SecretSeed seed{};
    seed.fill(n);
    return cs::address_from_pubkey(cs::public_key_from_seed(seed));
}

using testing::TestNode;

}  // namespace

TEST_CASE("chain mines, connects and survives a restart") {
    const std::string dir = temp_dir("restart");
    uint64_t clock = params().genesis_timestamp + 1000;
    Hash256 tip_hash{};
    {
        TestNode n(dir, &clock);
        CHECK(n.chain->tip().height == 0);
        CHECK(cs::header_hash(cs::genesis_block(params()).header()) == n.chain->tip().hash);
        for (int i = 0; i < 5; ++i) {
            tip_hash = n.mine(address(1));
            clock += 2;
        }
        CHECK(n.chain->tip().height == 5);
        CHECK(n.chain->tip().hash == tip_hash);
        CHECK(n.chain->blocks_validated() == 5);
        n.chain->with_tip_state([&](const cs::KvRead& s, const cs::ChainTip&) {
            auto a = cs::read_account(s, address(1));
            REQUIRE(a.ok());
            CHECK(a->balance == 5 * cs::miner_subsidy_share(cs::block_subsidy(1, params()), params()));
        });
    }
    TestNode again(dir, &clock);
    CHECK(again.chain->tip().height == 5);
    CHECK(again.chain->tip().hash == tip_hash);
    CHECK(again.chain->hash_at_height(3).has_value());
    std::filesystem::remove_all(dir);
}

namespace {

cs::SecretSeed seed_of(uint8_t n) {
    cs::SecretSeed s{};
    s.fill(n);
    return s;
}

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

uint64_t balance(TestNode& n, uint8_t who) {
    uint64_t out = 0;
    n.chain->with_tip_state([&](const cs::KvRead& s, const cs::ChainTip&) {
        auto a = cs::read_account(s, address(who));
        REQUIRE(a.ok());
        out = a->balance;
    });
    return out;
}

// Re-grinds a modified block's nonce so it still carries valid proof of work.
void regrind(pb::Block& block) {
    for (uint64_t nonce = 0;; ++nonce) {
        block.mutable_header()->set_nonce(nonce);
        if (cs::check_pow(block.header(), params())) return;
    }
}

}  // namespace

TEST_CASE("transactions move balances and leave the mempool when mined") {
    const std::string dir = temp_dir("tx");
    uint64_t clock = params().genesis_timestamp + 1000;
    TestNode n(dir, &clock);
    n.mine(address(1));
    const uint64_t funded = balance(n, 1);
    REQUIRE(funded > 10'000);
    auto id = n.node->submit_transaction(transfer(1, 2, 0, 5'000));
    REQUIRE(id.ok());
    CHECK(n.node->mempool_info().size == 1);
    const Hash256 block_hash = n.mine(address(3));
    CHECK(n.node->mempool_info().size == 0);
    CHECK(balance(n, 2) == 5'000);
    CHECK(balance(n, 1) == funded - 5'000 - params().min_fee);
    CHECK(n.chain->tx_block(*id) == block_hash);
    // Replaying the same transaction is refused by nonce.
    CHECK(n.node->submit_transaction(transfer(1, 2, 0, 5'000)).status() == step::consensus::codes::kBadNonce);
    std::filesystem::remove_all(dir);
}

TEST_CASE("a heavier competing branch reorganises the chain through undo data") {
    const std::string dir_a = temp_dir("reorg-a"), dir_b = temp_dir("reorg-b");
    uint64_t clock = params().genesis_timestamp + 1000;
    TestNode a(dir_a, &clock), b(dir_b, &clock);
    // Shared history: block 1 pays address 1, mined on A and given to B.
    a.mine(address(1));
    REQUIRE(b.node->submit_block(*a.chain->block(a.chain->tip().hash), BlockSource::kPeer).ok());
    // A confirms a transfer in its block 2; B builds a longer branch without it.
    auto transfer_id = a.node->submit_transaction(transfer(1, 2, 0, 7'000));
    REQUIRE(transfer_id.ok());
    clock += 2;
    a.mine(address(5));
    std::vector<Hash256> announced;  // what P2P would announce to peers
    a.node->set_tx_accepted_hook([&](const Hash256& txid) { announced.push_back(txid); });
    CHECK(balance(a, 2) == 7'000);
    for (int i = 0; i < 3; ++i) {
        clock += 2;
        b.mine(address(6));
    }
    REQUIRE(b.chain->tip().height == 4);

    SubmitResult last;
    for (uint64_t h = 2; h <= 4; ++h) {
        auto r = a.node->submit_block(*b.chain->block(*b.chain->hash_at_height(h)), BlockSource::kPeer);
        REQUIRE(r.ok());
        last = *r;
    }
    CHECK(a.chain->tip().hash == b.chain->tip().hash);
    CHECK(last.tip_changed);
    CHECK(balance(a, 2) == 0);              // the transfer's block was disconnected...
    CHECK(a.node->mempool_info().size == 1);  // ...and its transaction is back in the mempool
    // ...and announced again: B's side never saw it.
    CHECK(announced == std::vector<Hash256>{*transfer_id});
    CHECK(a.chain->state_digest() == b.chain->state_digest());
    auto old_block = a.chain->block_info(*b.chain->hash_at_height(2));
    REQUIRE(old_block.has_value());
    CHECK(old_block->in_best_chain);

    // After a restart, A is still on the heavier chain with the same state.
    const auto digest = a.chain->state_digest();
    a.node.reset();
    a.chain.reset();
    a.db.reset();
    TestNode a2(dir_a, &clock);
    CHECK(a2.chain->tip().hash == b.chain->tip().hash);
    CHECK(a2.chain->state_digest() == digest);
    std::filesystem::remove_all(dir_a);
    std::filesystem::remove_all(dir_b);
}

TEST_CASE("invalid blocks are rejected with the consensus reason and remembered") {
    const std::string dir = temp_dir("invalid");
    uint64_t clock = params().genesis_timestamp + 1000;
    TestNode n(dir, &clock);
    n.mine(address(1));
    const auto tip_before = n.chain->tip();

    auto tmpl = n.node->block_template(address(1));
    REQUIRE(tmpl.ok());
    pb::Block bad = tmpl->block;
    Hash256 wrong_root{};
    wrong_root.fill(0xab);
    bad.mutable_header()->set_state_root(wrong_root.data(), wrong_root.size());
    regrind(bad);
    auto r = n.node->submit_block(bad, BlockSource::kPeer);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status() == step::consensus::codes::kBadStateRoot);
    CHECK(n.chain->tip().hash == tip_before.hash);
    auto info = n.chain->block_info(cs::header_hash(bad.header()));
    REQUIRE(info.has_value());
    CHECK(info->status == BlockStatus::kInvalid);
    CHECK(n.node->submit_block(bad, BlockSource::kPeer).status() == step::consensus::codes::kBadStateRoot);

    // Without valid proof of work a block is refused and not even stored.
    pb::Block no_pow = tmpl->block;
    for (uint64_t nonce = 0;; ++nonce) {
        no_pow.mutable_header()->set_nonce(nonce);
        if (!cs::check_pow(no_pow.header(), params())) break;
    }
    CHECK(n.node->submit_block(no_pow, BlockSource::kPeer).status() == step::consensus::codes::kBadPow);
    CHECK_FALSE(n.chain->block_info(cs::header_hash(no_pow.header())).has_value());

    // A child of the invalid block is refused as such; an unknown parent is an orphan.
    pb::Block child = bad;
    child.mutable_header()->set_height(bad.header().height() + 1);
    const Hash256 bad_hash = cs::header_hash(bad.header());
    child.mutable_header()->set_prev_hash(bad_hash.data(), bad_hash.size());
    CHECK(n.node->submit_block(child, BlockSource::kPeer).status() == step::node::codes::kInvalidParent);
    Hash256 nowhere{};
    nowhere.fill(7);
    child.mutable_header()->set_prev_hash(nowhere.data(), nowhere.size());
    CHECK(n.node->submit_block(child, BlockSource::kPeer).status() == step::node::codes::kUnknownParent);
    std::filesystem::remove_all(dir);
}

// A crash between the batches of a reorganisation leaves a heavier branch stored but not
// connected. Simulated by copying B's branch into A's database as bare stored blocks: opening
// A must finish the switch.
TEST_CASE("opening the chain finishes an interrupted reorganisation") {
    const std::string dir_a = temp_dir("resume-a"), dir_b = temp_dir("resume-b");
    uint64_t clock = params().genesis_timestamp + 1000;
    {
        TestNode a(dir_a, &clock), b(dir_b, &clock);
        a.mine(address(1));
        clock += 2;
        a.mine(address(1));
        for (int i = 0; i < 3; ++i) {
            clock += 2;
            b.mine(address(2));
        }
        WriteBatch batch;
        for (uint64_t h = 1; h <= 3; ++h) {
            const Hash256 hash = *b.chain->hash_at_height(h);
            auto rec = decode_index_record(*b.db->get(keys::index(hash)));
            REQUIRE(rec.ok());
            rec->status = BlockStatus::kHaveData;
            batch.put(keys::index(hash), encode_index_record(*rec));
            batch.put(keys::block(hash), *b.db->get(keys::block(hash)));
        }
        REQUIRE(a.db->write(batch, true).ok());
        CHECK(a.chain->tip().height == 2);  // the running node has not looked at them
    }
    TestNode a(dir_a, &clock), b(dir_b, &clock);
    CHECK(a.chain->tip().hash == b.chain->tip().hash);
    CHECK(a.chain->state_digest() == b.chain->state_digest());
    std::filesystem::remove_all(dir_a);
    std::filesystem::remove_all(dir_b);
}

TEST_CASE("a datadir of one network is refused by another") {
    const std::string dir = temp_dir("network");
    auto db = Database::open(dir);
    REQUIRE(db.ok());
    REQUIRE(ChainManager::open(**db, cs::devnet_params()).ok());
    auto other = ChainManager::open(**db, cs::testnet_params());
    REQUIRE_FALSE(other.ok());
    CHECK(other.status() == step::node::codes::kWrongNetwork);
    db.value().reset();  // close before removing the files
    std::filesystem::remove_all(dir);
}

TEST_CASE("the background miner extends the chain and stops on request") {
    const std::string dir = temp_dir("miner");
    uint64_t clock = params().genesis_timestamp + 1000;
    TestNode n(dir, &clock);
    {
        Miner miner(*n.node, address(4));
        miner.start();
        // Bounded polling (up to 10 s): the first block comes at once, pacing only delays later ones.
        for (int i = 0; i < 1000 && n.chain->tip().height == 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        miner.stop();
    }
    const uint64_t height = n.chain->tip().height;
    CHECK(height >= 1);
    CHECK(balance(n, 4) == height * cs::miner_subsidy_share(cs::block_subsidy(1, params()), params()));

    // A raised stop flag makes mine_block return without a block.
    std::atomic<bool> stop{true};
    auto r = n.node->mine_block(address(4), stop);
    REQUIRE(r.ok());
    CHECK_FALSE(r->has_value());
    CHECK(n.chain->tip().height == height);
    std::filesystem::remove_all(dir);
}
