#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "consensus/state.h"
#include "consensus/state_tree.h"
#include "test_chain.h"

using namespace step;
using namespace step::consensus;
using testing::addr_of;
using testing::seed_of;

namespace {

// Every committed state key (not tree nodes) of a store, for a from-scratch root.
std::map<Bytes, Bytes> state_keys(const MemoryKv& kv) {
    std::map<Bytes, Bytes> out;
    for (const auto& [k, v] : kv.data()) {
        // Consensus stores nothing but committed records and the tree's own nodes.
        REQUIRE((is_state_key(k) || parse_state_tree_node_key(k)));
        if (is_state_key(k)) out.emplace(k, v);
    }
    return out;
}

}  // namespace

TEST_CASE("Random chains keep supply, tree and undo consistent", "[chain]") {
    Params p = devnet_params();
    p.coinbase_maturity = 2;  // exercise locked coinbase entries too
    p.unbonding_delay = 3;
    std::mt19937_64 rng(7);
    testing::TestChain c(p);
    std::vector<SecretSeed> users;
    for (uint8_t i = 1; i <= 6; ++i) users.push_back(seed_of(i));
    std::map<Address, uint64_t> next_nonce;
    std::vector<std::map<Bytes, Bytes, BytesLess>> snapshots{c.kv().data()};
    std::map<pb::Transaction::PayloadCase, int> included;

    for (int height = 1; height <= 40; ++height) {
        std::vector<pb::Transaction> txs;
        const int n = static_cast<int>(rng() % 6);
        for (int j = 0; j < n; ++j) {
            const auto& from = users[rng() % users.size()];
            const Address who = addr_of(from);
            const uint64_t nonce = next_nonce[who];
            const uint64_t amount = 1 + rng() % (3 * kCoin);
            switch (rng() % 4) {
                case 0:
                case 1:
                    txs.push_back(testing::transfer_tx(from, addr_of(users[rng() % users.size()]),
                                                       amount, nonce, p));
                    break;
                case 2:
                    txs.push_back(testing::bond_tx(from, rng() % 2 ? pb::BOND_ROLE_SOLVER : pb::BOND_ROLE_VERIFIER,
                                                   amount, nonce, p));
                    break;
                default:
                    txs.push_back(testing::bond_tx(from, rng() % 2 ? pb::BOND_ROLE_SOLVER : pb::BOND_ROLE_VERIFIER,
                                                   amount, nonce, p, true));
            }
        }
        const pb::Block b = c.make_block(txs, addr_of(users[rng() % users.size()]));
        for (const auto& tx : b.transactions()) {  // only included ones
            next_nonce[tx_sender(tx)] += 1;
            included[tx.payload_case()] += 1;
        }
        auto r = c.connect(b);
        REQUIRE(r.ok());
        snapshots.push_back(c.kv().data());

        // Tree matches the state keys; supply is conserved.
        const auto keys = state_keys(c.kv());
        REQUIRE(state_root_of(keys) == c.tip().state_root);
        const ChainTotals t = *read_totals(c.kv());
        uint64_t held = 0;
        for (const auto& [k, v] : keys)
            if (parse_account_key(k)) held += *account_holdings(*decode_account(v));
        REQUIRE(held + t.pool == t.minted - t.burned);
        REQUIRE(t.minted == static_cast<uint64_t>(height) * 50 * kCoin);
    }
    // The run exercised every active payload, not just skips.
    CHECK(included[pb::Transaction::kTransfer] > 10);
    CHECK(included[pb::Transaction::kBond] > 3);
    CHECK(included[pb::Transaction::kUnbond] > 0);
    // Unwinding the whole chain through undo data revisits every earlier state exactly.
    for (size_t i = snapshots.size() - 1; i > 0; --i) {
        c.disconnect();
        REQUIRE(c.kv().data() == snapshots[i - 1]);
    }
    CHECK(c.kv().size() == 0);
}
