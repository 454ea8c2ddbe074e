#include <catch2/catch.hpp>

#include "common/merkle.h"
#include "consensus/errors.h"
#include "consensus/pow.h"
#include "consensus/state_tree.h"
#include "test_chain.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::consensus;
using testing::addr_of;
using testing::seed_of;

namespace {

const Params& P() { return devnet_params(); }
const SecretSeed kAlice = seed_of(1);
const Address kMiner = addr_of(9);

// A chain where alice has mined two blocks (so she holds 2 * miner share).
testing::TestChain funded_chain(const Params& p = P()) {
    testing::TestChain c(p);
    c.add({}, addr_of(kAlice));
    c.add({}, addr_of(kAlice));
    return c;
}

step::Status apply_code(testing::TestChain& c, const pb::Block& b, uint64_t now = 0) {
    ApplyContext ctx{now ? now : b.header().timestamp(), c.tip()};
    return apply_block(c.kv(), b, c.params(), ctx).status();
}

// Re-mines after a header edit so the PoW check passes again.
pb::Block edited(pb::Block b, const std::function<void(pb::BlockHeader&)>& edit) {
    edit(*b.mutable_header());
    testing::mine(b, P());
    return b;
}

}  // namespace

TEST_CASE("Genesis is the anchor of each network", "[block]") {
    for (const auto* p : {&mainnet_params(), &testnet_params(), &devnet_params()}) {
        const auto g = genesis_block(*p);
        const auto tip = genesis_tip(*p);
        CHECK(tip.hash == header_hash(g.header()));
        CHECK(tip.height == 0);
        CHECK(g.header().state_root() == std::string(32, '\0'));
        CHECK(genesis_state_writes(*p).empty());
        CHECK(p->genesis_target <= p->pow_limit);
    }
    CHECK(genesis_tip(mainnet_params()).hash != genesis_tip(testnet_params()).hash);
    CHECK(genesis_tip(testnet_params()).hash != genesis_tip(devnet_params()).hash);
    CHECK(mainnet_params().chain_id != testnet_params().chain_id);
    CHECK(testnet_params().chain_id != devnet_params().chain_id);
    CHECK(devnet_params().allow_generate);
    CHECK_FALSE(mainnet_params().allow_generate);
}

TEST_CASE("Blocks pay the miner share plus fees and fill the pool", "[block]") {
    testing::TestChain c = funded_chain();
    const uint64_t share = miner_subsidy_share(block_subsidy(1, P()), P());
    CHECK(c.account(addr_of(kAlice)).balance == 2 * share);
    auto tx = testing::transfer_tx(kAlice, addr_of(3), kCoin, 0, P(), 5000);
    auto applied = c.add({tx}, kMiner);
    CHECK(applied.fees == 5000);
    CHECK(applied.subsidy == 50 * kCoin);
    CHECK(c.account(kMiner).balance == share + 5000);
    CHECK(c.account(addr_of(3)).balance == kCoin);
    const auto totals = *read_totals(c.kv());
    CHECK(totals.minted == 3 * 50 * kCoin);
    CHECK(totals.pool == 3 * (50 * kCoin - share));
    CHECK(totals.burned == 0);
    // Conservation: everything held plus the pool equals everything minted.
    uint64_t held = 0;
    for (const auto& [k, v] : c.kv().data())
        if (parse_account_key(k)) held += *account_holdings(*decode_account(v));
    CHECK(held + totals.pool == totals.minted);
    CHECK(*state_tree_root(c.kv()) == c.tip().state_root);
}

TEST_CASE("Coinbase rewards wait COINBASE_MATURITY blocks where the network says so", "[block]") {
    Params p = P();
    p.coinbase_maturity = 3;
    testing::TestChain c(p);
    c.add({}, kMiner);  // height 1, matures at 4
    const uint64_t share = miner_subsidy_share(block_subsidy(1, p), p);
    auto m = c.account(kMiner);
    CHECK(m.balance == 0);
    REQUIRE(m.locked.size() == 1);
    CHECK(m.locked[0] == LockedEntry{LockKind::kCoinbase, share, 4});
    c.add({}, addr_of(5));
    c.add({}, addr_of(5));
    CHECK(c.account(kMiner).balance == 0);
    c.add({}, addr_of(5));  // height 4: released at block end
    CHECK(c.account(kMiner).balance == share);
    CHECK(c.account(kMiner).locked.empty());
    CHECK_FALSE(c.kv().get(release_key(4)));
}

TEST_CASE("Unbonded amounts return to the balance UNBONDING_DELAY blocks later", "[block]") {
    testing::TestChain c = funded_chain();
    c.add({testing::bond_tx(kAlice, pb::BOND_ROLE_VERIFIER, 10 * kCoin, 0, P())}, kMiner);
    c.add({testing::bond_tx(kAlice, pb::BOND_ROLE_VERIFIER, 4 * kCoin, 1, P(), true)}, kMiner);
    const uint64_t h = c.tip().height, release = h + P().unbonding_delay;
    auto a = c.account(addr_of(kAlice));
    CHECK(a.verifier_bond == 6 * kCoin);
    const uint64_t before = a.balance;
    while (c.tip().height + 1 < release) c.add({}, kMiner);
    CHECK(c.account(addr_of(kAlice)).balance == before);
    CHECK(c.account(addr_of(kAlice)).locked.size() == 1);
    c.add({}, kMiner);
    CHECK(c.account(addr_of(kAlice)).balance == before + 4 * kCoin);
    CHECK(c.account(addr_of(kAlice)).locked.empty());
}

TEST_CASE("Header rejections each have their code", "[block]") {
    testing::TestChain c = funded_chain();
    const pb::Block good = c.make_block({}, kMiner);
    REQUIRE(apply_code(c, good).ok());

    CHECK(apply_code(c, edited(good, [](auto& h) { h.set_version(2); })) == codes::kBadVersion);
    CHECK(apply_code(c, edited(good, [](auto& h) { h.set_height(h.height() + 1); })) == codes::kBadHeight);
    CHECK(apply_code(c, edited(good, [](auto& h) { h.set_prev_hash(std::string(32, '\1')); })) ==
          codes::kBadPrevHash);
    CHECK(apply_code(c, edited(good, [](auto& h) { h.set_miner(std::string(19, '\1')); })) ==
          codes::kBadHeaderField);
    CHECK(apply_code(c, edited(good, [](auto& h) { h.set_tx_root(std::string(31, '\1')); })) ==
          codes::kBadHeaderField);
    const uint64_t mtp = median_time_past(c.tip().recent_timestamps);
    CHECK(apply_code(c, edited(good, [&](auto& h) { h.set_timestamp(mtp); })) == codes::kTimeTooOld);
    CHECK(apply_code(c, edited(good, [&](auto& h) { h.set_timestamp(mtp + 1); })).ok());
    // Too far in the future relative to the caller's clock.
    CHECK(apply_code(c, good, good.header().timestamp() - P().max_future_drift_s - 1) ==
          codes::kTimeTooNew);
    CHECK(apply_code(c, good, good.header().timestamp() - P().max_future_drift_s).ok());
    const Hash256 harder = (P().pow_limit >> 1).to_be();
    CHECK(apply_code(c, edited(good, [&](auto& h) { h.set_target(harder.data(), 32); })) ==
          codes::kBadTarget);
    // A nonce whose PoW hash is above the target.
    pb::Block weak = good;
    for (uint64_t n = 0;; ++n) {
        weak.mutable_header()->set_nonce(n);
        if (!check_pow(weak.header(), P())) break;
    }
    CHECK(apply_code(c, weak) == codes::kBadPow);
}

TEST_CASE("A timestamp just past the median time is valid (only the root changes)", "[block]") {
    testing::TestChain c = funded_chain();
    const uint64_t mtp = median_time_past(c.tip().recent_timestamps);
    auto a = assemble_block(c.kv(), c.tip(), {}, kMiner, mtp + 1, P());
    REQUIRE(a.ok());
    testing::mine(a->block, P());
    CHECK(apply_code(c, a->block, mtp + 100).ok());
}

TEST_CASE("Body rejections each have their code", "[block]") {
    testing::TestChain c = funded_chain();
    auto t0 = testing::transfer_tx(kAlice, addr_of(3), 1, 0, P());
    auto t1 = testing::transfer_tx(kAlice, addr_of(3), 1, 1, P());
    const pb::Block good = c.make_block({t0, t1}, kMiner);
    REQUIRE(good.transactions_size() == 2);
    REQUIRE(apply_code(c, good).ok());

    Params small = P();
    small.max_block_txs = 1;
    ApplyContext ctx{good.header().timestamp(), c.tip()};
    CHECK(apply_block(c.kv(), good, small, ctx).status() == codes::kTooManyTxs);
    small = P();
    small.max_block_bytes = 300;
    CHECK(apply_block(c.kv(), good, small, ctx).status() == codes::kBlockTooLarge);

    pb::Block swapped = good;  // same txs, other order: tx_root differs
    swapped.mutable_transactions()->SwapElements(0, 1);
    CHECK(apply_code(c, swapped) == codes::kBadTxRoot);
    pb::Block dropped = good;
    dropped.mutable_transactions()->RemoveLast();
    CHECK(apply_code(c, dropped) == codes::kBadTxRoot);

    CHECK(apply_code(c, edited(good, [](auto& h) { h.set_state_root(std::string(32, '\7')); })) ==
          codes::kBadStateRoot);
    CHECK(apply_code(c, edited(good, [](auto& h) { h.set_miner(std::string(20, '\7')); })) ==
          codes::kBadStateRoot);  // the reward lands elsewhere, so the root differs
}

TEST_CASE("A bad transaction inside a block rejects the block with the tx's code", "[block]") {
    testing::TestChain c = funded_chain();
    auto tx = testing::transfer_tx(kAlice, addr_of(3), 1, 0, P());
    pb::Block b = c.make_block({tx}, kMiner);
    auto dup = b;  // the same transaction twice: the second has a stale nonce
    *dup.add_transactions() = tx;
    std::vector<Hash256> ids{txid(tx), txid(tx)};
    const Hash256 root = merkle_root(ids);
    dup.mutable_header()->set_tx_root(root.data(), 32);
    testing::mine(dup, P());
    ApplyContext ctx{dup.header().timestamp(), c.tip()};
    auto r = apply_block(c.kv(), dup, P(), ctx);
    CHECK(r.status() == codes::kBadNonce);
    CHECK(r.status().message().rfind("tx 1:", 0) == 0);

    pb::Block badsig = b;
    badsig.mutable_transactions(0)->mutable_transfer()->set_amount(2);
    const Hash256 root2 = compute_tx_root(badsig);
    badsig.mutable_header()->set_tx_root(root2.data(), 32);
    testing::mine(badsig, P());
    CHECK(apply_code(c, badsig) == codes::kBadSignature);

    // A market payload with a malformed task id: rejected by the market's field rules.
    pb::Block inactive = b;
    auto* t = inactive.mutable_transactions(0);
    t->mutable_cancel_task()->set_task_id(std::string(3, 'x'));
    sign_transaction(*t, kAlice);
    const Hash256 root3 = compute_tx_root(inactive);
    inactive.mutable_header()->set_tx_root(root3.data(), 32);
    testing::mine(inactive, P());
    CHECK(apply_code(c, inactive) == codes::kBadUnitRef);
}

TEST_CASE("assemble_block skips failing transactions and respects the limits", "[block]") {
    testing::TestChain c = funded_chain();
    std::vector<pb::Transaction> cands = {
        testing::transfer_tx(kAlice, addr_of(3), 1, 0, P()),
        testing::transfer_tx(kAlice, addr_of(3), 1, 5, P()),            // nonce gap
        testing::transfer_tx(kAlice, addr_of(3), 1000 * kCoin, 1, P()),  // too much
        testing::transfer_tx(kAlice, addr_of(3), 2, 1, P()),
    };
    auto a = assemble_block(c.kv(), c.tip(), cands, kMiner, c.tip().timestamp + 2, P());
    REQUIRE(a.ok());
    CHECK(a->block.transactions_size() == 2);
    REQUIRE(a->skipped.size() == 2);
    CHECK(a->skipped[0].second == codes::kBadNonce);
    CHECK(a->skipped[1].second == codes::kInsufficientFunds);
    testing::mine(a->block, P());
    CHECK(c.connect(a->block).ok());

    Params one = P();
    one.max_block_txs = 1;
    testing::TestChain d = funded_chain(one);
    auto b = assemble_block(d.kv(), d.tip(), {cands[0], cands[3]}, kMiner, d.tip().timestamp + 2, one);
    CHECK(b->block.transactions_size() == 1);
    CHECK(b->skipped.at(0).second == codes::kTooManyTxs);
    Params tight = P();
    tight.max_block_bytes = 400;  // header + one ~170-byte transfer
    testing::TestChain e = funded_chain(tight);
    auto f = assemble_block(e.kv(), e.tip(), {cands[0], cands[3]}, kMiner, e.tip().timestamp + 2, tight);
    CHECK(f->block.transactions_size() == 1);
    CHECK(f->skipped.at(0).second == codes::kBlockTooLarge);
    testing::mine(f->block, tight);
    CHECK(encode_block(f->block).size() <= tight.max_block_bytes);
    CHECK(e.connect(f->block).ok());
}

TEST_CASE("Undo data restores the parent state exactly", "[block]") {
    testing::TestChain c = funded_chain();
    const auto before = c.kv().data();
    const ChainTip tip = c.tip();
    c.add({testing::transfer_tx(kAlice, addr_of(3), 5, 0, P()),
           testing::bond_tx(kAlice, pb::BOND_ROLE_SOLVER, 7, 1, P())},
          kMiner);
    CHECK(c.kv().data() != before);
    c.disconnect();
    CHECK(c.kv().data() == before);
    CHECK(c.tip().hash == tip.hash);
    CHECK(*state_tree_root(c.kv()) == tip.state_root);
}

TEST_CASE("Parallel signature checks give the same result as sequential ones", "[block]") {
    testing::TestChain c = funded_chain();
    std::vector<pb::Transaction> txs;
    for (uint64_t n = 0; n < 9; ++n) txs.push_back(testing::transfer_tx(kAlice, addr_of(3), 1 + n, n, P()));
    const pb::Block good = c.make_block(txs, kMiner);
    REQUIRE(good.transactions_size() == 9);
    const ApplyContext ctx{good.header().timestamp(), c.tip()};
    auto one = apply_block(c.kv(), good, P(), ctx, 1);
    REQUIRE(one.ok());
    for (unsigned threads : {2u, 3u, 16u}) {
        auto many = apply_block(c.kv(), good, P(), ctx, threads);
        REQUIRE(many.ok());
        CHECK(many->writes == one->writes);
        CHECK(many->state_root == one->state_root);
    }
    // A bad signature at tx 6 and a bad nonce at tx 4: the earlier rule wins either way.
    pb::Block bad = good;
    bad.mutable_transactions(6)->mutable_transfer()->set_amount(99);
    *bad.mutable_transactions(4) = testing::transfer_tx(kAlice, addr_of(3), 5, 40, P());
    const Hash256 root = compute_tx_root(bad);
    bad.mutable_header()->set_tx_root(root.data(), 32);
    testing::mine(bad, P());
    for (unsigned threads : {1u, 4u}) {
        auto r = apply_block(c.kv(), bad, P(), ctx, threads);
        CHECK(r.status() == codes::kBadNonce);
        CHECK(r.status().message().rfind("tx 4:", 0) == 0);
    }
    *bad.mutable_transactions(4) = good.transactions(4);
    const Hash256 root2 = compute_tx_root(bad);
    bad.mutable_header()->set_tx_root(root2.data(), 32);
    testing::mine(bad, P());
    for (unsigned threads : {1u, 4u}) {
        auto r = apply_block(c.kv(), bad, P(), ctx, threads);
        CHECK(r.status() == codes::kBadSignature);
        CHECK(r.status().message().rfind("tx 6:", 0) == 0);
    }
}
