#include <catch2/catch.hpp>

#include "consensus/pow.h"
#include "consensus/state_tree.h"
#include "test_chain.h"
#include "consensus/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::consensus;
using testing::addr_of;
using testing::seed_of;

namespace {
const Params& P() { return devnet_params(); }
}

TEST_CASE("Reorg via undo equals replaying the winning chain from genesis", "[reorg]") {
    const SecretSeed alice = seed_of(1), bob = seed_of(2);
    // Common prefix: alice and bob mine, then alice pays bob.
    testing::TestChain node(P());
    std::vector<pb::Block> prefix;
    for (const auto& who : {alice, bob, alice}) {
        prefix.push_back(node.make_block({}, addr_of(who)));
        REQUIRE(node.connect(prefix.back()).ok());
    }
    prefix.push_back(node.make_block({testing::transfer_tx(alice, addr_of(bob), 3 * kCoin, 0, P())},
                                     addr_of(alice)));
    REQUIRE(node.connect(prefix.back()).ok());

    // Branch A (connected first): 3 blocks, alice bonds and unbonds, bob pays carol.
    testing::TestChain a_builder(P());
    for (const auto& b : prefix) REQUIRE(a_builder.connect(b).ok());
    std::vector<pb::Block> branch_a;
    branch_a.push_back(a_builder.make_block(
        {testing::bond_tx(alice, pb::BOND_ROLE_SOLVER, 10 * kCoin, 1, P()),
         testing::transfer_tx(bob, addr_of(3), kCoin, 0, P())},
        addr_of(bob)));
    REQUIRE(a_builder.connect(branch_a.back()).ok());
    branch_a.push_back(a_builder.make_block(
        {testing::bond_tx(alice, pb::BOND_ROLE_SOLVER, 4 * kCoin, 2, P(), true)}, addr_of(bob)));
    REQUIRE(a_builder.connect(branch_a.back()).ok());
    branch_a.push_back(a_builder.make_block({}, addr_of(bob)));
    REQUIRE(a_builder.connect(branch_a.back()).ok());

    // Branch B: 4 blocks, different spends of the same nonces and other miners.
    testing::TestChain b_builder(P());
    for (const auto& b : prefix) REQUIRE(b_builder.connect(b).ok());
    std::vector<pb::Block> branch_b;
    branch_b.push_back(b_builder.make_block(
        {testing::transfer_tx(alice, addr_of(4), 2 * kCoin, 1, P())}, addr_of(5), 3));
    REQUIRE(b_builder.connect(branch_b.back()).ok());
    for (int i = 0; i < 3; ++i) {
        branch_b.push_back(b_builder.make_block(
            {testing::transfer_tx(bob, addr_of(6), kCoin / 4, static_cast<uint64_t>(i), P())},
            addr_of(5)));
        REQUIRE(b_builder.connect(branch_b.back()).ok());
    }
    REQUIRE(branch_b[0].header().prev_hash() == branch_a[0].header().prev_hash());
    REQUIRE(branch_b[0].SerializeAsString() != branch_a[0].SerializeAsString());

    // The node follows A, then learns B has more work and switches.
    for (const auto& b : branch_a) REQUIRE(node.connect(b).ok());
    const ChainTip tip_a = node.tip();
    CHECK(prefer_chain(b_builder.tip().cumulative_work, tip_a.cumulative_work));
    CHECK_FALSE(prefer_chain(tip_a.cumulative_work, b_builder.tip().cumulative_work));
    for (size_t i = 0; i < branch_a.size(); ++i) node.disconnect();
    CHECK(node.tip().hash == header_hash(prefix.back().header()));  // back at the fork point
    for (const auto& b : branch_b) REQUIRE(node.connect(b).ok());

    // Replay of the winning chain from genesis on a fresh store.
    testing::TestChain replay(P());
    for (const auto& b : prefix) REQUIRE(replay.connect(b).ok());
    for (const auto& b : branch_b) REQUIRE(replay.connect(b).ok());

    CHECK(node.kv().data() == replay.kv().data());  // every key, tree nodes included
    CHECK(node.tip().hash == replay.tip().hash);
    CHECK(node.tip().state_root == replay.tip().state_root);
    CHECK(*state_tree_root(node.kv()) == replay.tip().state_root);
    CHECK(node.tip().cumulative_work == replay.tip().cumulative_work);
    // Branch A's effects are gone: no solver bond, carol never paid.
    CHECK(node.account(addr_of(alice)).solver_bond == 0);
    CHECK(node.account(addr_of(3)).balance == 0);
    CHECK(node.account(addr_of(4)).balance == 2 * kCoin);

    // And back again: A's blocks are valid once more after undoing B.
    for (size_t i = 0; i < branch_b.size(); ++i) node.disconnect();
    for (const auto& b : branch_a) REQUIRE(node.connect(b).ok());
    CHECK(node.tip().hash == tip_a.hash);
    CHECK(node.kv().data() == a_builder.kv().data());
}

TEST_CASE("A block from the losing branch does not connect on the winning one", "[reorg]") {
    testing::TestChain x(P()), y(P());
    auto bx = x.make_block({}, addr_of(1));
    auto by = y.make_block({}, addr_of(2));
    REQUIRE(x.connect(bx).ok());
    REQUIRE(y.connect(by).ok());
    auto next_x = x.make_block({}, addr_of(1));
    CHECK(y.connect(next_x).status() == step::consensus::codes::kBadPrevHash);
}
