// What a misbehaving peer cannot do: spam side headers, send headers that never connect, flood
// unrequested blocks or badly signed transactions, or delay another peer's messages.
#include "tests/unit/p2p/p2p_fixture.h"

#include "consensus/errors.h"
#include "consensus/pow.h"
#include "node/p2p/errors.h"

using namespace step;
using namespace step::node;
using namespace step::node::p2p;
using namespace step::node::p2p::testing;

TEST_CASE("side-branch header spam costs the peer its connection, and the index stays bounded") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "spam-a", 1);
    for (int i = 0; i < 5; ++i) a.node.mine(address_of(1));
    Port& raw = net.add_port();
    const PeerId id = handshake_raw(net, raw, a);
    // Siblings of A's tip, one header per message: valid, never more work than A's chain.
    const consensus::ChainTip parent = [&] {
        consensus::ChainTip t = consensus::genesis_tip(params());
        for (uint64_t h = 1; h < 5; ++h)
            t = consensus::next_tip(t, *a.node.chain->header(*a.node.chain->hash_at_height(h)),
                                    params());
        return t;
    }();
    uint64_t sent = 0;
    for (; sent < 10 * kSideHeaderAllowance && !raw.closed.count(id); ++sent) {
        wire::Headers m;
        *m.add_headers() = node::testing::header_with_pow(parent, sent + 100);
        raw.send_message(id, m);
        settle(net, {&a});
    }
    CHECK(raw.closed.count(id));
    CHECK(sent == kSideHeaderAllowance + 1);
    clocks.p2p_ms += 200;
    settle(net, {&a});
    CHECK(a.discouraged_for(codes::kHeaderSpam));
    CHECK(a.node.chain->side_header_count() <= kSideHeaderAllowance + 1);
}

TEST_CASE("headers that keep failing to connect are answered, then punished") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "orphans-a", 1);
    Port& raw = net.add_port();
    const PeerId id = handshake_raw(net, raw, a);
    raw.take<wire::GetHeaders>();
    consensus::ChainTip nowhere = consensus::genesis_tip(params());
    nowhere.hash.fill(0x42);
    for (uint32_t i = 0; i < kMaxNonConnectingHeaders; ++i) {
        wire::Headers m;
        *m.add_headers() = node::testing::header_with_pow(nowhere, i);
        raw.send_message(id, m);
        settle(net, {&a});
    }
    CHECK_FALSE(raw.closed.count(id));
    CHECK(raw.take<wire::GetHeaders>().size() == kMaxNonConnectingHeaders);  // each one answered
    wire::Headers m;
    *m.add_headers() = node::testing::header_with_pow(nowhere, 999);
    raw.send_message(id, m);
    refresh(net, clocks, {&a});
    CHECK(raw.closed.count(id));
    CHECK(a.discouraged_for(codes::kNonConnectingHeaders));
}

TEST_CASE("a header with bad proof of work or 2,001 headers discourage the sender") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "badpow-a", 1);
    Port& raw = net.add_port();
    const PeerId id = handshake_raw(net, raw, a);
    pb::BlockHeader h = node::testing::header_with_pow(consensus::genesis_tip(params()), 1);
    while (consensus::check_pow(h, params())) h.set_nonce(h.nonce() + 1);
    wire::Headers m;
    *m.add_headers() = h;
    raw.send_message(id, m);
    refresh(net, clocks, {&a});
    CHECK(raw.closed.count(id));
    CHECK(a.discouraged_for(step::consensus::codes::kBadPow));
    CHECK(a.node.chain->index_size() == 1);

    const PeerId id2 = handshake_raw(net, raw, a, 778);
    wire::Headers many;
    for (uint32_t i = 0; i <= kMaxHeadersPerMessage; ++i) *many.add_headers() = h;
    raw.send(id2, MessageType::kHeaders, many.SerializeAsString());
    refresh(net, clocks, {&a});
    CHECK(raw.closed.count(id2));
    CHECK(a.discouraged_for(codes::kPayloadOverLimit));
}

TEST_CASE("unrequested blocks that are not the next one are ignored, then punished") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "unrequested-a", 1), miner(net, clocks, "unrequested-m", 2);
    for (int i = 0; i < 3; ++i) miner.node.mine(address_of(2));
    Port& raw = net.add_port();
    const PeerId id = handshake_raw(net, raw, a);
    // Block 2 does not extend A's tip (genesis): ignored, counted.
    wire::BlockMessage not_next;
    *not_next.mutable_block() = *miner.node.chain->block(*miner.node.chain->hash_at_height(2));
    for (uint32_t i = 0; i < kMaxUnrequestedBlocks; ++i) {
        raw.send_message(id, not_next);
        settle(net, {&a});
    }
    CHECK_FALSE(raw.closed.count(id));
    CHECK(a.node.chain->tip().height == 0);
    // The next block is taken even unasked (a peer may push what it just mined).
    wire::BlockMessage next;
    *next.mutable_block() = *miner.node.chain->block(*miner.node.chain->hash_at_height(1));
    raw.send_message(id, next);
    settle(net, {&a});
    CHECK(a.node.chain->tip().height == 1);
    raw.send_message(id, not_next);  // now block 2 is the next one
    settle(net, {&a});
    CHECK(a.node.chain->tip().height == 2);
    wire::BlockMessage later;
    *later.mutable_block() = *miner.node.chain->block(*miner.node.chain->hash_at_height(3));
    later.mutable_block()->mutable_header()->set_prev_hash(
        std::string(32, '\x33'));  // no known parent
    for (uint32_t i = 0; i <= kMaxUnrequestedBlocks && !raw.closed.count(id); ++i) {
        wire::BlockMessage orphan = later;
        orphan.mutable_block()->mutable_header()->set_nonce(i);
        raw.send_message(id, orphan);
        settle(net, {&a});
    }
    refresh(net, clocks, {&a});
    CHECK(raw.closed.count(id));
    CHECK(a.discouraged_for(codes::kUnrequestedBlocks));
}

TEST_CASE(
    "a badly signed transaction discourages its sender; one that merely does not apply does not") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "badtx-a", 1);
    a.node.mine(address_of(1));
    Port& raw = net.add_port();
    const PeerId id = handshake_raw(net, raw, a);
    wire::TxMessage unfunded;
    *unfunded.mutable_tx() = transfer(3, 2, 0, 10);  // sender 3 has no funds: refused, not invalid
    raw.send_message(id, unfunded);
    settle(net, {&a});
    CHECK_FALSE(raw.closed.count(id));
    CHECK(a.node.node->mempool_info().size == 0);

    wire::TxMessage forged;
    *forged.mutable_tx() = transfer(1, 2, 0, 10);
    forged.mutable_tx()->mutable_transfer()->set_amount(11);  // after signing: the signature fails
    raw.send_message(id, forged);
    refresh(net, clocks, {&a});
    CHECK(raw.closed.count(id));
    CHECK(a.discouraged_for(step::consensus::codes::kBadSignature));
}

TEST_CASE("a flood from one peer does not delay another peer's messages") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "flood-a", 1);
    Port& raw = net.add_port();
    const PeerId flooder = handshake_raw(net, raw, a, 101);
    const PeerId honest = handshake_raw(net, raw, a, 102);
    raw.take<wire::Ping>();
    raw.take<wire::Pong>();
    wire::Ping ping;
    for (int i = 0; i < 500; ++i) {
        ping.set_nonce(static_cast<uint64_t>(i));
        raw.send_message(flooder, ping);
    }
    ping.set_nonce(0xabc);
    raw.send_message(honest, ping);
    net.pump();
    a.pm->run_once();  // one pass: one message from each peer
    net.pump();
    auto pongs = raw.take<wire::Pong>();
    bool honest_answered = false;
    for (size_t i = 0; i < pongs.size(); ++i)
        honest_answered = honest_answered || pongs[i].nonce() == 0xabc;
    CHECK(honest_answered);
    CHECK(pongs.size() == 2);
    settle(net, {&a});
    CHECK(raw.take<wire::Pong>().size() == 499);
}

TEST_CASE("a peer whose messages pile up is paused at the transport until they drain") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "pause-a", 1);
    Port& raw = net.add_port();
    const PeerId id = handshake_raw(net, raw, a);
    wire::Ping ping;
    for (uint32_t i = 0; i < kMaxQueuedMessagesPerPeer + 10; ++i) raw.send_message(id, ping);
    net.pump();
    CHECK(a.port.paused.size() == 1);
    settle(net, {&a});
    CHECK(a.port.paused.empty());
    CHECK(raw.take<wire::Pong>().size() == kMaxQueuedMessagesPerPeer + 10);
}
