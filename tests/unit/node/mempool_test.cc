#include <catch2/catch.hpp>

#include "consensus/encoding.h"
#include "consensus/state.h"
#include "consensus/transaction.h"
#include "node/mempool.h"
#include "tests/unit/node/mempool_fixtures.h"
#include "consensus/errors.h"
#include "node/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::node;
namespace cs = step::consensus;

namespace {

using namespace step::node::testing;

size_t tx_size(const pb::Transaction& tx) { return cs::encode_tx(tx).size(); }

}  // namespace

TEST_CASE("mempool offers the highest fee first") {
    cs::MemoryKv kv;
    Wallet a = wallet(1), b = wallet(2), c = wallet(3), sink = wallet(9);
    for (const auto& w : {a, b, c}) fund(kv, w, 1'000'000);
    Mempool pool(params());
    REQUIRE(pool.add(transfer(a, sink, 0, 2'000), kv, 1).ok());
    REQUIRE(pool.add(transfer(b, sink, 0, 5'000), kv, 1).ok());
    REQUIRE(pool.add(transfer(c, sink, 0, 1'000), kv, 1).ok());
    auto picked = pool.select(kv, 100);
    REQUIRE(picked.size() == 3);
    CHECK(picked[0].fee() == 5'000);
    CHECK(picked[1].fee() == 2'000);
    CHECK(picked[2].fee() == 1'000);
    CHECK(pool.select(kv, 2).size() == 2);
}

TEST_CASE("mempool sequences each sender's nonces") {
    cs::MemoryKv kv;
    Wallet a = wallet(1), b = wallet(2), sink = wallet(9);
    fund(kv, a, 1'000'000, 5);
    fund(kv, b, 1'000'000);
    Mempool pool(params());

    // Nonce 6 waits for 5: admitted but not offered.
    auto later = pool.add(transfer(a, sink, 6, 9'000), kv, 1);
    REQUIRE(later.ok());
    CHECK(pool.select(kv, 10).empty());
    CHECK(pool.next_nonce(a.address, 5) == 5);

    REQUIRE(pool.add(transfer(a, sink, 5, 1'000), kv, 1).ok());
    REQUIRE(pool.add(transfer(b, sink, 0, 3'000), kv, 1).ok());
    CHECK(pool.next_nonce(a.address, 5) == 7);
    auto picked = pool.select(kv, 10);
    REQUIRE(picked.size() == 3);
    // b's 3,000 beats a's first (1,000); a's nonce 6 (9,000) must still follow a's nonce 5.
    CHECK(picked[0].fee() == 3'000);
    CHECK(picked[1].nonce() == 5);
    CHECK(picked[2].nonce() == 6);

    // Used and far-future nonces are refused.
    CHECK(pool.add(transfer(a, sink, 4, 1'000), kv, 1).status() == step::consensus::codes::kBadNonce);
    CHECK(pool.add(transfer(a, sink, 5 + kMaxNonceGap + 1, 1'000), kv, 1).status() == step::node::codes::kNonceTooFar);
}

TEST_CASE("mempool rejects invalid and duplicate transactions with their codes") {
    cs::MemoryKv kv;
    Wallet a = wallet(1), poor = wallet(4), sink = wallet(9);
    fund(kv, a, 1'000'000);
    Mempool pool(params());
    auto tx = transfer(a, sink, 0, 1'000);
    REQUIRE(pool.add(tx, kv, 1).ok());
    CHECK(pool.add(tx, kv, 1).status() == step::node::codes::kAlreadyInMempool);

    auto forged = transfer(a, sink, 1, 1'000);
    forged.set_fee(2'000);  // changes the signed bytes
    CHECK(pool.add(forged, kv, 1).status() == step::consensus::codes::kBadSignature);
    CHECK(pool.add(transfer(a, sink, 1, 1), kv, 1).status() == step::consensus::codes::kFeeTooLow);
    CHECK(pool.add(transfer(poor, sink, 0, 1'000), kv, 1).status() == step::consensus::codes::kInsufficientFunds);
    // Second spend of a's funds in the same run: the pool validates the run in order.
    CHECK(pool.add(transfer(a, sink, 1, 1'000, 999'000), kv, 1).status() == step::consensus::codes::kInsufficientFunds);
    CHECK(pool.size() == 1);
}

TEST_CASE("mempool replaces a pending nonce only for a higher fee") {
    cs::MemoryKv kv;
    Wallet a = wallet(1), sink = wallet(9);
    fund(kv, a, 1'000'000);
    Mempool pool(params());
    REQUIRE(pool.add(transfer(a, sink, 0, 2'000), kv, 1).ok());
    CHECK(pool.add(transfer(a, sink, 0, 2'000, 2), kv, 1).status() == step::node::codes::kReplacementFeeTooLow);
    auto better = pool.add(transfer(a, sink, 0, 3'000), kv, 1);
    REQUIRE(better.ok());
    CHECK(pool.size() == 1);
    CHECK(pool.get(*better).has_value());
}

TEST_CASE("mempool at its size cap evicts the lowest fee rate or refuses the newcomer") {
    cs::MemoryKv kv;
    Wallet a = wallet(1), b = wallet(2), c = wallet(3), d = wallet(4), e = wallet(5), sink = wallet(9);
    for (const auto& w : {a, b, c, d, e}) fund(kv, w, 1'000'000);
    const size_t one = tx_size(transfer(a, sink, 0, 2'000));
    // Room for three transactions of this shape; slack for nonzero nonces, which encode longer.
    Mempool pool(params(), 3 * one + 8);
    auto low = pool.add(transfer(a, sink, 0, 2'000), kv, 1);
    REQUIRE(low.ok());
    REQUIRE(pool.add(transfer(a, sink, 1, 9'000), kv, 1).ok());  // behind a's low-fee nonce 0
    auto mid = pool.add(transfer(b, sink, 0, 4'000), kv, 1);
    REQUIRE(mid.ok());
    CHECK(pool.bytes() <= pool.max_bytes());

    // Full: a newcomer paying less than everything is refused.
    auto refused = pool.add(transfer(c, sink, 0, 1'500), kv, 1);
    CHECK(refused.status() == step::node::codes::kMempoolFull);
    // A better one evicts the lowest fee rate (a's nonce 0) and a's nonce 1 behind it.
    auto high = pool.add(transfer(d, sink, 0, 8'000), kv, 1);
    REQUIRE(high.ok());
    CHECK_FALSE(pool.get(*low).has_value());
    CHECK(pool.next_nonce(a.address, 0) == 0);
    CHECK(pool.get(*mid).has_value());
    CHECK(pool.size() == 2);
    CHECK(pool.bytes() <= pool.max_bytes());
    REQUIRE(pool.add(transfer(e, sink, 0, 3'000), kv, 1).ok());
    CHECK(pool.size() == 3);
}

TEST_CASE("mempool drops confirmed transactions and re-adds disconnected ones") {
    cs::MemoryKv kv;
    Wallet a = wallet(1), sink = wallet(9);
    fund(kv, a, 1'000'000);
    Mempool pool(params());
    auto tx0 = transfer(a, sink, 0, 1'000);
    auto tx1 = transfer(a, sink, 1, 1'000);
    REQUIRE(pool.add(tx0, kv, 1).ok());
    REQUIRE(pool.add(tx1, kv, 1).ok());

    // A block confirms tx0: the account's nonce moves to 1.
    SubmitResult connected;
    connected.connected.emplace_back();
    *connected.connected.back().add_transactions() = tx0;
    cs::MemoryKv after = kv;
    fund(after, a, 1'000'000 - 1'001, 1);
    pool.update_for_chain(connected, after, 2);
    CHECK(pool.size() == 1);
    CHECK_FALSE(pool.get(cs::txid(tx0)).has_value());
    CHECK(pool.get(cs::txid(tx1)).has_value());

    // The block is disconnected again: tx0 returns, in front of tx1.
    SubmitResult disconnected;
    disconnected.disconnected = connected.connected;
    pool.update_for_chain(disconnected, kv, 1);
    CHECK(pool.size() == 2);
    auto picked = pool.select(kv, 10);
    REQUIRE(picked.size() == 2);
    CHECK(picked[0].nonce() == 0);

    // A block confirms other transactions of a with both nonces (e.g. sent through another
    // node): the pool's versions can never be mined and leave.
    SubmitResult elsewhere;
    elsewhere.connected.emplace_back();
    *elsewhere.connected.back().add_transactions() = transfer(a, sink, 0, 1'000, 2);
    *elsewhere.connected.back().add_transactions() = transfer(a, sink, 1, 1'000, 2);
    cs::MemoryKv later = kv;
    fund(later, a, 1'000'000, 2);
    pool.update_for_chain(elsewhere, later, 3);
    CHECK(pool.size() == 0);
    CHECK(pool.bytes() == 0);
}

TEST_CASE("mempool rechecks block senders each block and everyone periodically") {
    cs::MemoryKv kv;
    Wallet a = wallet(1), b = wallet(2), sink = wallet(9);
    fund(kv, a, 1'000'000);
    fund(kv, b, 1'000'000);
    Mempool pool(params());
    auto b_tx = pool.add(transfer(b, sink, 0, 1'000, 900'000), kv, 1);
    REQUIRE(b_tx.ok());
    // b's funds shrink without a transaction of b's (a stand-in for future rules that debit
    // accounts from others' transactions, e.g. slashing).
    cs::MemoryKv drained = kv;
    fund(drained, b, 10);
    SubmitResult block;
    block.connected.emplace_back();
    *block.connected.back().add_transactions() = transfer(a, sink, 0, 1'000);
    pool.update_for_chain(block, drained, 2);
    CHECK(pool.get(*b_tx).has_value());  // b was not in the block: not rechecked yet
    for (uint64_t i = 1; i < kFullRevalidationInterval; ++i) {
        SubmitResult empty;
        empty.connected.emplace_back();
        pool.update_for_chain(empty, drained, 2 + i);
    }
    CHECK_FALSE(pool.get(*b_tx).has_value());  // the periodic full check dropped it
}

namespace {

pb::Transaction bond(const Wallet& from, uint64_t nonce, uint64_t fee) {
    pb::Transaction tx;
    tx.set_chain_id(params().chain_id);
    tx.set_nonce(nonce);
    tx.set_fee(fee);
    tx.mutable_bond()->set_role(pb::BOND_ROLE_SOLVER);
    tx.mutable_bond()->set_amount(10);
    cs::sign_transaction(tx, from.seed);
    return tx;
}

}  // namespace

TEST_CASE("mempool refusing a newcomer for lack of room changes nothing") {
    cs::MemoryKv kv;
    Wallet a = wallet(1), b = wallet(2), c = wallet(3), sink = wallet(9);
    for (const auto& w : {a, b, c}) fund(kv, w, 1'000'000);
    // Bonds are smaller than transfers (no recipient): two bonds fill the pool, and a transfer
    // needs one byte more than evicting the cheaper bond would free.
    const size_t small = tx_size(bond(a, 0, 2'000));
    const size_t large = tx_size(transfer(c, sink, 0, 5'000));
    REQUIRE(large > small);
    Mempool pool(params(), 2 * small + (large - small) - 1);
    auto cheap = pool.add(bond(a, 0, 2'000), kv, 1);
    auto dear = pool.add(bond(b, 0, 9'000), kv, 1);
    REQUIRE(cheap.ok());
    REQUIRE(dear.ok());

    CHECK(pool.add(transfer(c, sink, 0, 5'000), kv, 1).status() == step::node::codes::kMempoolFull);
    CHECK(pool.get(*cheap).has_value());  // nothing was evicted for a newcomer that was refused
    CHECK(pool.get(*dear).has_value());

    // A larger replacement that does not fit leaves the pending transaction in place.
    CHECK(pool.add(transfer(a, sink, 0, 3'000), kv, 1).status() == step::node::codes::kMempoolFull);
    CHECK(pool.get(*cheap).has_value());
    CHECK(pool.size() == 2);
    CHECK(pool.bytes() == 2 * small);
}
