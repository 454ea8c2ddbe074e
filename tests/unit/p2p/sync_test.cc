// Headers-first sync, block download from several peers, stalls and relay between in-memory
// peer managers over real ChainManagers.
#include "tests/unit/p2p/p2p_fixture.h"

#include "node/p2p/errors.h"

using namespace step;
using namespace step::node;
using namespace step::node::p2p;
using namespace step::node::p2p::testing;

namespace {

void mine(P2PNode& n, int count, uint8_t who = 1) {
    for (int i = 0; i < count; ++i) n.node.mine(address_of(who));
}

}  // namespace

TEST_CASE("a fresh node syncs a few hundred blocks from two peers") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "sync-a", 1), b(net, clocks, "sync-b", 2),
        fresh(net, clocks, "sync-f", 3);
    mine(a, 300);
    // B learns the chain from A alone, over P2P.
    net.connect(b.port, a.port);
    settle(net, {&a, &b});
    REQUIRE(b.node.chain->tip().hash == a.node.chain->tip().hash);

    auto [fa, af] = net.connect(fresh.port, a.port);
    auto [fb, bf] = net.connect(fresh.port, b.port);
    settle(net, {&a, &b, &fresh});
    CHECK(fresh.node.chain->tip().hash == a.node.chain->tip().hash);
    CHECK(fresh.node.chain->state_digest() == a.node.chain->state_digest());
    refresh(net, clocks, {&a, &b, &fresh});
    auto from_a = info_of(fresh, fa), from_b = info_of(fresh, fb);
    REQUIRE(from_a.has_value());
    REQUIRE(from_b.has_value());
    // Both peers served blocks: the window is shared, at most kMaxBlocksInFlightPerPeer each.
    CHECK(from_a->blocks_received > 0);
    CHECK(from_b->blocks_received > 0);
    CHECK(from_a->blocks_received + from_b->blocks_received == 300);
    CHECK(fresh.pm->counters().blocks_received == 300);
    CHECK(fresh.pm->counters().headers_received == 300);
    CHECK(fresh.discouraged_reason().empty());
    (void)af;
    (void)bf;
}

TEST_CASE("new blocks and transactions are relayed to peers") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "relay-a", 1), b(net, clocks, "relay-b", 2),
        c(net, clocks, "relay-c", 3);
    mine(a, 3);
    net.connect(b.port, a.port);
    net.connect(c.port, b.port);  // c hears of A's work only through b
    settle(net, {&a, &b, &c});
    REQUIRE(c.node.chain->tip().hash == a.node.chain->tip().hash);

    // A new block on A travels by header announcement, two hops.
    mine(a, 1);
    settle(net, {&a, &b, &c});
    CHECK(c.node.chain->tip().hash == a.node.chain->tip().hash);

    // A transfer submitted on C reaches A's mempool (after each hop's trickle delay) and a
    // block mined on A confirms it everywhere.
    auto id = c.node.node->submit_transaction(transfer(1, 7, 0, 1000));
    REQUIRE(id.ok());
    for (int i = 0; i < 20 && !a.node.node->has_mempool_tx(*id); ++i) {
        clocks.p2p_ms += 1000;
        settle(net, {&a, &b, &c});
    }
    REQUIRE(a.node.node->has_mempool_tx(*id));
    CHECK(b.node.node->has_mempool_tx(*id));
    mine(a, 1);
    settle(net, {&a, &b, &c});
    CHECK(c.node.chain->tip().hash == a.node.chain->tip().hash);
    CHECK(c.node.chain->tx_block(*id) == a.node.chain->tip().hash);
    CHECK_FALSE(c.node.node->has_mempool_tx(*id));
}

TEST_CASE("a peer that connects later hears of the transactions already in the mempool") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "late-a", 1), late(net, clocks, "late-l", 2);
    mine(a, 1);
    // Accepted while no peer is connected: no announcement goes anywhere.
    auto id = a.node.node->submit_transaction(transfer(1, 7, 0, 1000));
    REQUIRE(id.ok());
    settle(net, {&a, &late});

    net.connect(late.port, a.port);
    for (int i = 0; i < 20 && !late.node.node->has_mempool_tx(*id); ++i) {
        clocks.p2p_ms += 1000;  // past the trickle delay
        settle(net, {&a, &late});
    }
    REQUIRE(late.node.chain->tip().hash == a.node.chain->tip().hash);
    CHECK(late.node.node->has_mempool_tx(*id));
}

TEST_CASE("a peer that stalls the download window is dropped and its blocks come from another") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "stall-a", 1), fresh(net, clocks, "stall-f", 3);
    mine(a, 40);
    // The staller: a raw peer that claims A's chain but never answers getdata.
    Port& raw = net.add_port();
    auto [raw_id, f_id] = net.connect(raw, fresh.port);
    settle(net, {&fresh});
    wire::Version v = honest_version(55);
    v.set_best_height(40);
    v.set_best_work(hash_to_field(a.node.chain->tip().cumulative_work.to_be()));
    raw.send_message(raw_id, v);
    settle(net, {&fresh});
    raw.send_message(raw_id, wire::Verack());
    settle(net, {&fresh});
    REQUIRE(raw.take<wire::GetHeaders>().size() == 1);
    wire::Headers hs;
    for (auto& h : a.node.chain->headers_after({}, Hash256{}, kMaxHeadersPerMessage))
        *hs.add_headers() = h;
    raw.send_message(raw_id, hs);
    settle(net, {&fresh});
    auto asked = raw.take<wire::GetData>();
    REQUIRE(asked.size() == 1);
    CHECK(asked[0].items_size() == static_cast<int>(kMaxBlocksInFlightPerPeer));
    CHECK(fresh.node.chain->tip().height == 0);

    // The honest peer arrives and takes the rest of the window; the staller holds its first
    // blocks, so once the stall timeout passes it is dropped (not discouraged).
    net.connect(fresh.port, a.port);
    settle(net, {&a, &fresh});
    CHECK(fresh.node.chain->tip().height == 0);
    clocks.p2p_ms += static_cast<int64_t>(kBlockStallTimeoutS) * 1000;
    settle(net, {&a, &fresh});
    CHECK(raw.closed.count(raw_id));
    CHECK(fresh.discouraged_reason().empty());
    CHECK(fresh.node.chain->tip().hash == a.node.chain->tip().hash);
    (void)f_id;
}
